//! Distinguished names as topology files write them (`CN=Lab CA,O=hapair lab`), parsed into
//! rcgen's form in the order written. Only the attributes TLS people use are known.

use rcgen::{DistinguishedName, DnType, DnValue};

use super::error::PkiError;

/// The rcgen type of an attribute name (upper-cased), for the attributes accepted.
fn attribute(key: &str) -> Option<DnType> {
    Some(match key {
        "CN" => DnType::CommonName,
        "O" => DnType::OrganizationName,
        "OU" => DnType::OrganizationalUnitName,
        "C" => DnType::CountryName,
        "ST" => DnType::StateOrProvinceName,
        "L" => DnType::LocalityName,
        _ => return None,
    })
}

/// Parses `KEY=value,KEY=value` (a `\,` is a comma inside a value) for the CA or
/// certificate `name`.
///
/// # Errors
/// [`PkiError::Subject`] for an empty subject, a part without `=`, an unknown or repeated
/// attribute, an empty value, or a country that is not two letters.
pub fn parse(name: &str, subject: &str) -> Result<DistinguishedName, PkiError> {
    let bad = |reason: String| PkiError::Subject {
        name: name.to_string(),
        subject: subject.to_string(),
        reason,
    };
    let mut dn = DistinguishedName::new();
    let mut seen = Vec::new();
    for part in split(subject) {
        let part = part.trim();
        let Some((key, value)) = part.split_once('=') else {
            return Err(bad(format!("`{part}` is not KEY=value")));
        };
        let (key, value) = (key.trim().to_ascii_uppercase(), value.trim());
        let Some(ty) = attribute(&key) else {
            return Err(bad(format!(
                "unknown attribute `{key}` (known: CN, O, OU, C, ST, L)"
            )));
        };
        if value.is_empty() {
            return Err(bad(format!("`{key}` has an empty value")));
        }
        if seen.contains(&key) {
            return Err(bad(format!("`{key}` appears twice")));
        }
        let value = if key == "C" {
            if value.len() != 2 || !value.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(bad(format!("country `{value}` is not a two-letter code")));
            }
            DnValue::PrintableString(
                value
                    .to_string()
                    .try_into()
                    .map_err(|_| bad(format!("country `{value}` is not printable")))?,
            )
        } else {
            DnValue::Utf8String(value.to_string())
        };
        dn.push(ty, value);
        seen.push(key);
    }
    if seen.is_empty() {
        return Err(bad("it is empty".to_string()));
    }
    Ok(dn)
}

/// Splits at commas not escaped by a backslash, unescaping `\,` and `\\`.
fn split(subject: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = subject.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(last)) = (chars.next(), parts.last_mut()) {
                    last.push(next);
                }
            }
            ',' => parts.push(String::new()),
            _ => {
                if let Some(last) = parts.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    parts.retain(|p| !p.trim().is_empty());
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(dn: &DistinguishedName) -> Vec<(DnType, String)> {
        dn.iter()
            .map(|(t, v)| {
                let text = match v {
                    DnValue::Utf8String(s) => s.clone(),
                    DnValue::PrintableString(s) => s.as_str().to_string(),
                    other => format!("{other:?}"),
                };
                (t.clone(), text)
            })
            .collect()
    }

    #[test]
    fn parses_in_written_order_with_escapes() {
        let dn = parse("ca", "CN=Lab CA, O=Acme\\, Inc.,c=FR").expect("valid subject");
        assert_eq!(
            values(&dn),
            vec![
                (DnType::CommonName, "Lab CA".to_string()),
                (DnType::OrganizationName, "Acme, Inc.".to_string()),
                (DnType::CountryName, "FR".to_string()),
            ]
        );
    }

    #[test]
    fn rejects_what_cannot_be_encoded_naming_the_subject() {
        for (subject, why) in [
            ("", "empty"),
            ("CN", "not KEY=value"),
            ("XX=1", "unknown attribute `XX`"),
            ("CN=", "empty value"),
            ("CN=a,CN=b", "appears twice"),
            ("C=France", "two-letter"),
        ] {
            let err = parse("ts-a", subject).expect_err(subject).to_string();
            assert!(
                err.contains("`ts-a`") && err.contains(why),
                "{subject}: {err}"
            );
        }
    }
}
