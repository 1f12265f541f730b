//! PDF input: a small PDF built by the test, and the real ICE report PDFs of
//! the development sources when ../shared is present.

mod common;

use std::fs;

/// A minimal one-page PDF whose text layer holds `lines` (Helvetica, one Tj per line).
fn tiny_pdf(lines: &[&str]) -> Vec<u8> {
    let mut content = String::from("BT /F1 12 Tf 72 720 Td 14 TL\n");
    for line in lines {
        content.push_str(&format!(
            "({}) Tj T*\n",
            line.replace('(', "\\(").replace(')', "\\)")
        ));
    }
    content.push_str("ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        pdf.extend(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

#[test]
fn a_small_pdf_is_read_through_its_text_layer() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = tiny_pdf(&[
        "Detainee Report",
        "A 41-year-old Honduran man was arrested for burglary.",
    ]);
    fs::write(dir.path().join("report.pdf"), pdf).unwrap();
    let out = common::docket()
        .args(["extract", "--emit-text", "report.pdf"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    common::assert_success(&out);
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        record["text"]
            .as_str()
            .unwrap()
            .contains("Honduran man was arrested"),
        "{}",
        record["text"]
    );
    let s = &record["subjects"][0];
    assert_eq!(
        (s["age"].as_i64(), s["nationality"].as_str()),
        (Some(41), Some("HN"))
    );
    assert_eq!(s["charges"][0]["nibrs"], "220");
}

#[test]
fn a_broken_pdf_is_an_error_for_that_file_only() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("broken.pdf"),
        b"%PDF-1.4\nthis is not a pdf",
    )
    .unwrap();
    fs::write(
        dir.path().join("ok.txt"),
        "A 30-year-old Mexican national was arrested for DUI.",
    )
    .unwrap();
    let out = common::docket()
        .args(["extract", "-q", "broken.pdf", "ok.txt"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("error: broken.pdf: the PDF could not be")
    );
}

#[test]
fn the_ice_report_pdfs_yield_their_person() {
    let dir = common::root().join("../shared/corpus/dev-src/ice-detainee-death-reports/pdf");
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED: ../shared/corpus/dev-src/ice-detainee-death-reports/pdf is not present"
        );
        return;
    }
    let out = common::docket()
        .args(["extract", "-q", "--format", "jsonl"])
        .arg(&dir)
        .output()
        .unwrap();
    common::assert_success(&out);
    let records: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(records.len() >= 40, "only {} reports", records.len());
    let described = records
        .iter()
        .filter(|r| {
            r["subjects"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["age"].is_i64() && s["nationality"].is_string())
        })
        .count();
    assert!(
        described * 10 >= records.len() * 9,
        "{described} of {} reports give age and nationality",
        records.len()
    );
}
