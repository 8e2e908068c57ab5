//! `www/models/manifest.json`: the models the page offers, each with its size and SHA-256 (the
//! page shows download progress against the size; the zoo test checks both).

use incontext::error::{read_file, write_file};
use incontext::model::ModelMeta;
use incontext::{Error, Result};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Inserts or replaces (by `id`, keeping its place) the entry of the model file `file` (a name
/// beside the manifest) with weights `bytes` and metadata `meta`, then writes the manifest back.
///
/// # Errors
/// I/O errors; [`Error::Format`] when the manifest is not JSON with a `models` array.
pub fn upsert(manifest: &Path, id: &str, label: &str, file: &str, bytes: &[u8], meta: &ModelMeta) -> Result<()> {
    let malformed = |why: &str| Error::Format(format!("{}: {why}", manifest.display()));
    let mut doc: Value = serde_json::from_slice(&read_file(manifest)?).map_err(|e| malformed(&e.to_string()))?;
    let models = doc.get_mut("models").and_then(Value::as_array_mut).ok_or_else(|| malformed("no 'models' array"))?;
    let entry = json!({
        "id": id,
        "label": label,
        "file": file,
        "bytes": bytes.len(),
        "sha256": sha256_hex(bytes),
        "mixture": meta.mixture.to_string(),
        "noise": [meta.noise.lo, meta.noise.hi],
    });
    match models.iter_mut().find(|m| m["id"] == id) {
        Some(old) => *old = entry,
        None => models.push(entry),
    }
    let text = serde_json::to_string_pretty(&doc).map_err(|e| Error::Format(e.to_string()))?;
    write_file(manifest, format!("{text}\n").as_bytes())
}
