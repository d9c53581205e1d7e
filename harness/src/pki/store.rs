//! The certificate folder: key material written as PEM that `openssl` reads, private keys
//! mode 0600 in folders mode 0700, and a stamp that says what the folder was made from, so
//! that repeated runs reuse it and a changed `[pki]` section regenerates it.
//!
//! The folder (default `certs/<topology-name>/`) is laid out as `super::layout` says.
//!
//! Nothing here prints or logs a key.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::error::PkiError;
use super::generate::{generate, reload};
use super::material::Material;
use super::{layout, pem};
use crate::topology::pki::PkiSpec;

/// Bump when generation changes what it makes from the same description, so that old
/// folders are regenerated.
const GENERATOR: &str = "hapair-pki/1";

/// Whether [`ensure`] made the material now or found it on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freshness {
    /// The folder had no stamp: generated now.
    Created,
    /// The stamp was for another description, clock or PEM file contents (or the files were
    /// damaged): generated again.
    Regenerated,
    /// The stamp matched: read back from the folder.
    Reused,
}

/// What a stored file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A certificate (CA or leaf), PEM.
    Certificate,
    /// A private key, PEM, mode 0600.
    Key,
    /// The chain a leaf's endpoint sends, leaf first.
    Chain,
    /// Every root CA, the trust store to give peers.
    Bundle,
    /// What the folder was made from.
    Stamp,
}

/// One file of the folder, its path relative to the folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFile {
    /// Path inside the folder.
    pub path: PathBuf,
    /// What it holds.
    pub kind: FileKind,
}

/// The default folder of a topology: `certs/<topology-name>`.
///
/// # Errors
/// [`PkiError::BadFileName`] when the name cannot be a folder name.
pub fn default_dir(topology: &str) -> Result<PathBuf, PkiError> {
    file_name(topology)?;
    Ok(Path::new("certs").join(topology))
}

/// The material for `spec` at `clock` in `dir`: read back when the stamp there matches,
/// otherwise generated and written.
///
/// # Errors
/// What [`generate`] and [`write()`] return. A damaged folder is regenerated, not an error.
pub fn ensure(
    dir: &Path,
    spec: &PkiSpec,
    clock: OffsetDateTime,
) -> Result<(Material, Freshness), PkiError> {
    let digest = stamp(spec, clock);
    let previous = fs::read_to_string(dir.join(layout::STAMP)).ok();
    if let Some(old) = &previous
        && stamp_digest(old) == Some(digest.as_str())
        && let Ok(material) = reload(spec, clock, dir)
    {
        return Ok((material, Freshness::Reused));
    }
    let material = generate(spec, clock)?;
    write(dir, &material, &digest)?;
    if let Some(old) = &previous {
        remove_stale(dir, old, &files(&material)?);
        Ok((material, Freshness::Regenerated))
    } else {
        Ok((material, Freshness::Created))
    }
}

/// The SHA-256, in hex, of what the folder is made from: the generator version, the
/// canonical JSON of `spec`, the clock, and the contents of every PEM file `spec` names.
pub fn stamp(spec: &PkiSpec, clock: OffsetDateTime) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(GENERATOR.as_bytes());
    // Serialising plain data to a String cannot fail; the fallback keeps the stamp defined.
    let json = serde_json::to_string(spec).unwrap_or_default();
    ctx.update(&(json.len() as u64).to_be_bytes());
    ctx.update(json.as_bytes());
    ctx.update(rfc3339(clock).as_bytes());
    let pems = spec.cas.iter().filter_map(|c| c.pem.as_ref());
    for files in pems.chain(spec.certs.iter().filter_map(|c| c.pem.as_ref())) {
        for path in std::iter::once(&files.cert).chain(files.key.as_ref()) {
            let bytes = fs::read(path).unwrap_or_default();
            ctx.update(&(bytes.len() as u64).to_be_bytes());
            ctx.update(&bytes);
        }
    }
    hex(ctx.finish().as_ref())
}

/// Every file [`write()`] makes for `material`, in writing order, the stamp last.
///
/// # Errors
/// [`PkiError::BadFileName`] for a name that cannot be a file name, and
/// [`PkiError::FileClash`] when two names would share a file.
pub fn files(material: &Material) -> Result<Vec<StoredFile>, PkiError> {
    let mut out = Vec::new();
    let mut owners: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut add = |out: &mut Vec<StoredFile>, owner: &str, path: PathBuf, kind| {
        if let Some(first) = owners.insert(path.clone(), owner.to_string()) {
            return Err(PkiError::FileClash {
                path,
                first,
                second: owner.to_string(),
            });
        }
        out.push(StoredFile { path, kind });
        Ok(())
    };
    for (name, ca) in &material.cas {
        file_name(name)?;
        let owner = format!("CA {name}");
        let (cert, key) = layout::ca(name);
        add(&mut out, &owner, cert, FileKind::Certificate)?;
        if ca.key.is_some() {
            add(&mut out, &owner, key, FileKind::Key)?;
        }
    }
    for name in material.certs.keys() {
        file_name(name)?;
        let owner = format!("certificate {name}");
        let (cert, key, chain) = layout::leaf(name);
        add(&mut out, &owner, cert, FileKind::Certificate)?;
        add(&mut out, &owner, key, FileKind::Key)?;
        add(&mut out, &owner, chain, FileKind::Chain)?;
    }
    add(
        &mut out,
        "the CA bundle",
        layout::BUNDLE.into(),
        FileKind::Bundle,
    )?;
    add(&mut out, "the stamp", layout::STAMP.into(), FileKind::Stamp)?;
    Ok(out)
}

/// Writes `material` under `dir` as [`files`] lists, keys 0600 and folders 0700, and the
/// stamp `digest` last, so that a folder interrupted mid-write is never taken as fresh.
///
/// # Errors
/// [`PkiError::Write`] naming the path that failed; what [`files`] returns.
pub fn write(dir: &Path, material: &Material, digest: &str) -> Result<(), PkiError> {
    let listed = files(material)?;
    make_dir(dir)?;
    // The CA keys' folder is ours: a symlink planted there would take them elsewhere.
    let ca = dir.join("ca");
    if fs::symlink_metadata(&ca).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(PkiError::Write {
            path: ca,
            source: std::io::Error::other(
                "is a symlink; hapair writes CA keys only into a real folder (remove the link)",
            ),
        });
    }
    make_dir(&ca)?;
    for file in &listed {
        let text = contents(material, file, digest, &listed);
        let path = dir.join(&file.path);
        let mode = if file.kind == FileKind::Key {
            0o600
        } else {
            0o644
        };
        write_file(&path, &text, mode)?;
    }
    Ok(())
}

fn contents(material: &Material, file: &StoredFile, digest: &str, listed: &[StoredFile]) -> String {
    let stem = file
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let in_ca = file.path.starts_with("ca");
    match file.kind {
        FileKind::Certificate if in_ca => stem
            .strip_suffix(".pem")
            .and_then(|n| material.cas.get(n))
            .map(|ca| ca.cert_pem.clone()),
        FileKind::Key if in_ca => stem
            .strip_suffix(".key")
            .and_then(|n| material.cas.get(n))
            .and_then(|ca| ca.key.as_ref().map(|k| k.pem.clone())),
        FileKind::Certificate => stem
            .strip_suffix(".pem")
            .and_then(|n| material.certs.get(n))
            .map(|l| l.cert_pem.clone()),
        FileKind::Key => stem
            .strip_suffix(".key")
            .and_then(|n| material.certs.get(n))
            .map(|l| l.key.pem.clone()),
        FileKind::Chain => stem
            .strip_suffix(layout::CHAIN_SUFFIX)
            .and_then(|n| material.certs.get(n))
            .map(|l| l.chain.iter().map(pem::encode_cert).collect()),
        FileKind::Bundle => Some(
            material
                .cas
                .values()
                .filter(|ca| ca.root == ca.name)
                .map(|ca| ca.cert_pem.clone())
                .collect(),
        ),
        FileKind::Stamp => Some(stamp_text(digest, material.clock, listed)),
    }
    .unwrap_or_default()
}

fn stamp_text(digest: &str, clock: OffsetDateTime, listed: &[StoredFile]) -> String {
    let mut text = String::from(
        "# Written by `hapair certs gen`; the files here are reused while this digest matches.\n",
    );
    let _ = writeln!(text, "digest {digest}");
    let _ = writeln!(text, "clock {}", rfc3339(clock));
    for f in listed.iter().filter(|f| f.kind != FileKind::Stamp) {
        let _ = writeln!(text, "file {}", f.path.display());
    }
    text
}

fn stamp_digest(text: &str) -> Option<&str> {
    text.lines()
        .find_map(|l| l.strip_prefix("digest "))
        .map(str::trim)
}

/// Removes the files an earlier stamp lists that the new material no longer has. Only
/// files this module wrote are ever removed; failures leave a harmless stale file.
fn remove_stale(dir: &Path, old_stamp: &str, now: &[StoredFile]) {
    for old in old_stamp.lines().filter_map(|l| l.strip_prefix("file ")) {
        let old = Path::new(old.trim());
        let inside = old
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if inside && !now.iter().any(|f| f.path == old) {
            let _ = fs::remove_file(dir.join(old));
        }
    }
}

fn make_dir(dir: &Path) -> Result<(), PkiError> {
    let failed = |source| PkiError::Write {
        path: dir.to_path_buf(),
        source,
    };

    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(failed)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(failed)
}

/// Writes a file with `mode` without ever following a symlink: the text goes into a new file
/// created exclusively beside it (mode set before any byte goes in), which then replaces the
/// path. A symlink planted at the path is replaced itself; its target is never written or
/// chmodded, so key material cannot be redirected.
fn write_file(path: &Path, text: &str, mode: u32) -> Result<(), PkiError> {
    let failed = |source| PkiError::Write {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.hapair-new"));
    match fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(failed(e)),
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .map_err(failed)?;
    let written = file
        .set_permissions(fs::Permissions::from_mode(mode))
        .and_then(|()| file.write_all(text.as_bytes()))
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(failed(e));
    }
    Ok(())
}

/// Checks that a CA, certificate or topology name can be a plain file name.
fn file_name(name: &str) -> Result<(), PkiError> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(PkiError::BadFileName {
            name: name.to_string(),
        })
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests;
