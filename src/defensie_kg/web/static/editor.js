/* The query editor (/query): YASGUI preset for this server's SPARQL endpoint.
 *
 * Loaded as a file (no inline script). Reads /query/config.json for the
 * prefixes and the named queries; YASGUI itself comes from /assets/yasgui/,
 * fetched at setup (python -m defensie_kg.assets fetch), never from a CDN.
 * Adds a "Chart" result view (horizontal bars for a numeric column), keeps
 * the editor off remote autocompletion services, and opens IRIs of this
 * dataset on this server.
 */
(function () {
  "use strict";

  var root = document.getElementById("yasgui");
  if (!root) {
    return; // the page says the editor's files are missing
  }
  var lang = document.documentElement.lang === "en" ? "en" : "nl";
  var status = document.getElementById("editor-status");
  var TEXT = {
    nl: {
      missing: "De editor kon niet laden (YASGUI ontbreekt). Draai `make setup` en herlaad de pagina.",
      config: "De voorbeeldvragen konden niet worden geladen: ",
      chart: "Grafiek", value: "Waarde", label: "Label",
      noNumbers: "Geen numerieke kolom in dit resultaat.",
      firstBars: function (n, total) { return "De eerste " + n + " van " + total + " rijen."; },
      prefill: "Vraag uit link",
      comment: "# Alle maatregelen met hun Nederlandse label en paragraaf",
    },
    en: {
      missing: "The editor could not load (YASGUI is missing). Run `make setup` and reload the page.",
      config: "The example queries could not be loaded: ",
      chart: "Chart", value: "Value", label: "Label",
      noNumbers: "No numeric column in this result.",
      firstBars: function (n, total) { return "The first " + n + " of " + total + " rows."; },
      prefill: "Query from link",
      comment: "# Every measure with its English label and section",
    },
  }[lang];

  function say(message, isError) {
    if (!status) { return; }
    status.textContent = message;
    status.hidden = !message;
    status.classList.toggle("error", !!isError);
  }

  if (typeof window.Yasgui === "undefined") {
    say(TEXT.missing, true);
    return;
  }
  var Yasgui = window.Yasgui;

  fetch(root.getAttribute("data-config") || "/query/config.json",
        { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(start)
    .catch(function (error) { say(TEXT.config + error.message, true); });

  function start(config) {
    var endpoint = new URL(config.endpoint || "/sparql", window.location.href).href;
    var prefixes = config.prefixes || {};
    localCompletersOnly(prefixes);
    Yasgui.Yasr.registerPlugin("chart", ChartPlugin);

    var yasgui = new Yasgui(root, {
      requestConfig: { endpoint: endpoint, method: "POST" },
      copyEndpointOnNewTab: true,
      populateFromUrl: false, // ?query= is handled below: the endpoint stays ours
      persistenceId: "defensie-kg",
      endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
      yasqe: { value: defaultQuery(prefixes) },
      yasr: { prefixes: prefixes, defaultPlugin: "table", pluginOrder: ["table", "chart", "response"] },
    });
    window.dkgYasgui = yasgui; // for the browser tests and the curious

    var byName = {};
    (config.queries || []).forEach(function (q) { byName[q.name] = q; });
    Array.prototype.forEach.call(document.querySelectorAll("[data-example]"), function (link) {
      link.addEventListener("click", function (event) {
        var query = byName[link.getAttribute("data-example")];
        if (!query) { return; }
        event.preventDefault();
        openExample(yasgui, query, link);
      });
    });

    var params = new URLSearchParams(window.location.search);
    if (params.get("query")) {
      openQuery(yasgui, TEXT.prefill, params.get("query"), endpoint, false);
    } else if (params.get("example") && byName[params.get("example")]) {
      var name = params.get("example");
      openExample(yasgui, byName[name],
                  document.querySelector('[data-example="' + CSS.escape(name) + '"]'));
    }
    openIrisHere(root, config.base);
    say("", false);

    function openExample(yasgui, query, link) {
      Array.prototype.forEach.call(document.querySelectorAll("[data-example].active"),
                                   function (a) { a.classList.remove("active"); });
      if (link) { link.classList.add("active"); }
      var title = (query.title && (query.title[lang] || query.title.en)) || query.name;
      openQuery(yasgui, title, query.query, endpoint, true);
    }
  }

  /* Open `text` in a tab and run it: the tab called `name` when `reuse`, else a new tab
   * (or the one already holding exactly this query). */
  function openQuery(yasgui, name, text, endpoint, reuse) {
    var tab = reuse ? yasgui.tabNameTaken(name) : findTabWithQuery(yasgui, text);
    if (tab) {
      yasgui.selectTabId(tab.getId());
      if (tab.getQuery() !== text) { tab.setQuery(text); }
    } else {
      tab = yasgui.addTab(true, { name: name, yasqe: { value: text },
                                  requestConfig: { endpoint: endpoint } });
    }
    if (tab.getEndpoint() !== endpoint) { tab.setEndpoint(endpoint); }
    tab.query().catch(function () { /* YASR shows the error */ });
    return tab;
  }

  function findTabWithQuery(yasgui, text) {
    for (var id in yasgui._tabs) {
      var tab = yasgui._tabs[id];
      if (tab && tab.getPersistedJson().yasqe.value === text) { return tab; }
    }
    return undefined;
  }

  /* Every documented prefix, declared: the endpoint predeclares the same ones, so a query
   * also runs without these lines, but a copied query stays portable. */
  function defaultQuery(prefixes) {
    return Object.keys(prefixes)
      .map(function (p) { return "PREFIX " + p + ": <" + prefixes[p] + ">\n"; }).join("") +
      TEXT.comment + "\n" +
      "SELECT ?measure ?label ?section WHERE {\n" +
      "  ?measure a dn:Measure ;\n" +
      "      rdfs:label ?label ;\n" +
      "      dn:sourceSection ?section .\n" +
      "  FILTER(lang(?label) = \"" + lang + "\")\n" +
      "}\nORDER BY ?section ?measure\nLIMIT 100\n";
  }

  /* No calls to outside services: drop the LOV-backed class/property completers and
   * complete prefixes from this dataset's map (then YASQE's bundled list). */
  function localCompletersOnly(prefixes) {
    var Yasqe = Yasgui.Yasqe;
    var list = Yasqe.defaults.autocompleters;
    ["property", "class"].forEach(function (name) {
      var at = list.indexOf(name);
      if (at >= 0) { list.splice(at, 1); }
    });
    var bundled = Yasqe.Autocompleters && Yasqe.Autocompleters.prefixes;
    if (!bundled) { return; }
    var ours = Object.keys(prefixes).sort().map(function (p) { return p + ": <" + prefixes[p] + ">"; });
    Yasqe.registerAutocompleter(Object.assign({}, bundled, {
      persistenceId: "dkg-prefixes",
      get: function (yasqe) {
        return Promise.resolve(bundled.get(yasqe)).then(function (theirs) {
          return ours.concat((theirs || []).filter(function (line) {
            return !Object.prototype.hasOwnProperty.call(prefixes, line.split(":")[0]);
          }));
        });
      },
    }), true);
  }

  /* Result tables link IRIs as they are; IRIs of this dataset open on this server. */
  function openIrisHere(container, base) {
    if (!base) { return; }
    function rewrite(event) {
      var link = event.target && event.target.closest ? event.target.closest("a[href]") : null;
      if (!link) { return; }
      var href = link.getAttribute("href");
      if (href && href.indexOf(base) === 0) {
        var path = "/" + href.slice(base.length);
        if (lang !== "nl" && path.indexOf("?") < 0 && path.indexOf("#") < 0) {
          path += "?lang=" + lang;
        }
        link.setAttribute("href", path);
        link.removeAttribute("target");
      }
    }
    container.addEventListener("mousedown", rewrite, true);
    container.addEventListener("click", rewrite, true);
    container.addEventListener("keydown", rewrite, true);
  }

  /* ---- the chart view: a YASR plugin drawing horizontal bars as SVG ---------------- */

  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var NUMERIC = ["integer", "decimal", "double", "float", "int", "long", "short", "byte",
                 "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
                 "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte"]
    .map(function (t) { return XSD + t; });
  var MAX_BARS = 60;
  var SVG_NS = "http://www.w3.org/2000/svg";

  function isNumber(term) {
    return !!term && (term.type === "literal" || term.type === "typed-literal") &&
      NUMERIC.indexOf(term.datatype) >= 0 && isFinite(parseFloat(term.value));
  }

  function svg(tag, attrs, text) {
    var el = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) { el.textContent = text; }
    return el;
  }

  function ChartPlugin(yasr) {
    this.yasr = yasr;
    this.label = TEXT.chart;
    this.priority = 5;
    this.choice = {};
    this.svgEl = null;
  }

  ChartPlugin.prototype.columns = function () {
    var results = this.yasr.results;
    var vars = (results && results.getVariables && results.getVariables()) || [];
    var rows = (results && results.getBindings && results.getBindings()) || [];
    var numeric = vars.filter(function (v) {
      var seen = false;
      for (var i = 0; i < rows.length; i++) {
        if (!rows[i][v]) { continue; }
        if (!isNumber(rows[i][v])) { return false; }
        seen = true;
      }
      return seen;
    });
    var labels = vars.filter(function (v) { return numeric.indexOf(v) < 0; });
    // prefer a column of literals (a label) over one of IRIs
    labels.sort(function (a, b) { return literalShare(rows, b) - literalShare(rows, a); });
    return { rows: rows, numeric: numeric, labels: labels };
  };

  function literalShare(rows, v) {
    var n = 0;
    rows.forEach(function (r) { if (r[v] && r[v].type !== "uri") { n++; } });
    return rows.length ? n / rows.length : 0;
  }

  ChartPlugin.prototype.canHandleResults = function () {
    var results = this.yasr.results;
    if (!results || !results.getBindings || !results.getBindings()) { return false; }
    return this.columns().numeric.length > 0 && results.getBindings().length > 0;
  };

  ChartPlugin.prototype.getIcon = function () {
    var icon = svg("svg", { viewBox: "0 0 16 16", width: 15, height: 15, "aria-hidden": "true" });
    [[1, 2, 12], [1, 7, 8], [1, 12, 14]].forEach(function (b) {
      icon.appendChild(svg("rect", { x: b[0], y: b[1], width: b[2], height: 3, fill: "currentColor" }));
    });
    return icon;
  };

  ChartPlugin.prototype.shortIri = function (iri) {
    var prefixes = this.yasr.getPrefixes ? this.yasr.getPrefixes() : {};
    var best = "";
    Object.keys(prefixes).forEach(function (p) {
      if (iri.indexOf(prefixes[p]) === 0 && prefixes[p].length > (prefixes[best] || "").length) {
        best = p;
      }
    });
    return best ? best + ":" + iri.slice(prefixes[best].length) : iri;
  };

  ChartPlugin.prototype.draw = function () {
    var cols = this.columns();
    var box = document.createElement("div");
    box.className = "dkg-chart";
    this.yasr.resultsEl.appendChild(box);
    if (!cols.numeric.length) {
      box.textContent = TEXT.noNumbers;
      return;
    }
    var self = this;
    var valueVar = cols.numeric.indexOf(this.choice.value) >= 0 ? this.choice.value : cols.numeric[0];
    var labelVar = cols.labels.indexOf(this.choice.label) >= 0 ? this.choice.label : cols.labels[0];

    var controls = document.createElement("div");
    controls.className = "dkg-chart-controls";
    controls.appendChild(this.picker(TEXT.value, cols.numeric, valueVar, "value"));
    if (cols.labels.length > 1) {
      controls.appendChild(this.picker(TEXT.label, cols.labels, labelVar, "label"));
    }
    box.appendChild(controls);

    var rows = cols.rows.filter(function (r) { return isNumber(r[valueVar]); });
    var shown = rows.slice(0, MAX_BARS);
    var values = shown.map(function (r) { return parseFloat(r[valueVar].value); });
    var names = shown.map(function (r, i) {
      var term = labelVar ? r[labelVar] : null;
      if (!term) { return "#" + (i + 1); }
      return term.type === "uri" ? self.shortIri(term.value) : term.value;
    });

    var width = 860, labelWidth = 300, valueWidth = 90, row = 22, top = 6;
    var plot = width - labelWidth - valueWidth;
    var lo = Math.min(0, Math.min.apply(null, values));
    var hi = Math.max(0, Math.max.apply(null, values));
    var span = hi - lo || 1;
    var x = function (v) { return labelWidth + ((v - lo) / span) * plot; };
    var height = top * 2 + row * shown.length;
    var chart = svg("svg", { viewBox: "0 0 " + width + " " + height, width: width, height: height,
                             role: "img", "aria-label": TEXT.chart + ": " + valueVar });
    chart.appendChild(svg("line", { x1: x(0), x2: x(0), y1: 0, y2: height, "class": "axis" }));
    shown.forEach(function (r, i) {
      var y = top + i * row;
      var name = names[i].length > 46 ? names[i].slice(0, 45) + "…" : names[i];
      var group = svg("g", { "class": "row" });
      group.appendChild(svg("title", {}, names[i] + ": " + r[valueVar].value));
      group.appendChild(svg("text", { x: labelWidth - 8, y: y + 15, "text-anchor": "end" }, name));
      var x0 = x(Math.min(0, values[i])), x1 = x(Math.max(0, values[i]));
      group.appendChild(svg("rect", { x: x0, y: y + 3, width: Math.max(1, x1 - x0), height: row - 6,
                                      "class": "bar" }));
      group.appendChild(svg("text", { x: x1 + 6, y: y + 15, "class": "value" },
                            Number(values[i]).toLocaleString(lang === "nl" ? "nl-NL" : "en-GB")));
      chart.appendChild(group);
    });
    box.appendChild(chart);
    this.svgEl = chart;
    if (rows.length > shown.length) {
      var note = document.createElement("p");
      note.className = "dkg-chart-note";
      note.textContent = TEXT.firstBars(shown.length, rows.length);
      box.appendChild(note);
    }
  };

  ChartPlugin.prototype.picker = function (caption, options, selected, key) {
    var self = this;
    var label = document.createElement("label");
    label.appendChild(document.createTextNode(caption + " "));
    var select = document.createElement("select");
    options.forEach(function (v) {
      var option = document.createElement("option");
      option.value = v;
      option.textContent = "?" + v;
      option.selected = v === selected;
      select.appendChild(option);
    });
    select.addEventListener("change", function () {
      self.choice[key] = select.value;
      self.yasr.draw();
    });
    label.appendChild(select);
    return label;
  };

  ChartPlugin.prototype.download = function (filename) {
    var self = this;
    if (!this.svgEl) { return undefined; }
    return {
      getData: function () {
        var copy = self.svgEl.cloneNode(true);
        copy.setAttribute("xmlns", SVG_NS);
        copy.insertBefore(svg("style", {}, "text{font:11px sans-serif}.bar{fill:#154273}" +
                                           ".axis{stroke:#d9dee5}"), copy.firstChild);
        return new XMLSerializer().serializeToString(copy);
      },
      contentType: "image/svg+xml",
      title: "Download chart (SVG)",
      filename: (filename || "queryResults") + ".svg",
    };
  };

  ChartPlugin.prototype.destroy = function () { this.svgEl = null; };
})();
