//! `summary.json`: the manifest plus every policy × outcome summary.

use super::{Exporter, Report};
use anyhow::Result;
use serde::Serialize;
use std::path::Path;

pub struct SummaryJson;

#[derive(Serialize)]
struct Doc<'a> {
    manifest: &'a super::Manifest,
    scenario: Scenario<'a>,
    policies: &'a [crate::analysis::summary::PolicySummary],
}

#[derive(Serialize)]
struct Scenario<'a> {
    name: &'a str,
    title: &'a str,
    description: &'a str,
}

impl Exporter for SummaryJson {
    fn export(&self, r: &Report, dir: &Path) -> Result<()> {
        let doc = Doc {
            manifest: r.manifest,
            scenario: Scenario {
                name: &r.model.name,
                title: &r.model.title,
                description: &r.model.description,
            },
            policies: r.summaries,
        };
        let mut text = serde_json::to_string_pretty(&doc)?;
        text.push('\n');
        super::staging::write_atomic(&dir.join("summary.json"), text.as_bytes())
    }
}
