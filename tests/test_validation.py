"""SHACL validation of the real data and the shape of the report."""

from __future__ import annotations

import json

from defensie_kg.build import reporting
from defensie_kg.build.pipeline import Build, build
from defensie_kg.build.reporting import Report, Result
from defensie_kg.settings import Settings


def test_the_data_conforms(real_build: Build) -> None:
    assert real_build.report.violations == [], reporting.to_text(real_build.report, False)


def test_text_report_groups_by_file_then_focus() -> None:
    report = Report(
        [
            Result(
                "Violation",
                "https://w3id.org/defensienota-2024/id/measure/a",
                "http://purl.org/dc/terms/description",
                None,
                "Needs a description.",
                "s",
                ("data/chapter-4.ttl",),
            ),
            Result(
                "Warning",
                "https://w3id.org/defensienota-2024/id/measure/a",
                "https://w3id.org/defensienota-2024/def/servesObjective",
                None,
                "No objective.",
                "s",
                ("data/chapter-4.ttl",),
            ),
        ]
    )
    text = reporting.to_text(report)
    assert text.splitlines()[:4] == [
        "data/chapter-4.ttl",
        "  measure:a",
        "    Violation dcterms:description: Needs a description.",
        "    Warning dn:servesObjective: No objective.",
    ]
    assert "1 violations, 1 warnings" in text
    parsed = json.loads(reporting.to_json(report))
    assert parsed["conforms"] is False and parsed["violations"] == 1


def test_violation_names_file_focus_and_message(mini_root, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (mini_root / "data" / "extra.ttl").write_text("""
        @prefix dn: <https://w3id.org/defensienota-2024/def/> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        <https://w3id.org/defensienota-2024/id/measure/no-section> a dn:Measure ;
            rdfs:label "Zonder bron"@nl , "Without source"@en .
    """)
    report = build(Settings(root=mini_root, cache_dir=tmp_path / "c")).report
    found = {
        (r.files, r.focus.rsplit("/", 1)[-1], r.path.rsplit("/", 1)[-1] if r.path else None)
        for r in report.violations
    }
    assert found == {
        (("data/extra.ttl",), "no-section", "sourceSection"),
        (("data/extra.ttl",), "no-section", "description"),
        (("data/extra.ttl",), "no-section", "status"),
        (("data/extra.ttl",), "no-section", "statusEvidence"),
    }
