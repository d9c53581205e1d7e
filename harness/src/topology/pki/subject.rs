//! Distinguished names as topology files write them (`CN=Lab CA,O=hapair lab`): the syntax and
//! the attributes TLS people use. `crate::pki::subject` turns a parsed name into rcgen's form.

/// An attribute a subject may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Attribute {
    /// `CN`.
    CommonName,
    /// `O`.
    Organization,
    /// `OU`.
    OrganizationalUnit,
    /// `C`: two letters.
    Country,
    /// `ST`.
    StateOrProvince,
    /// `L`.
    Locality,
}

impl Attribute {
    /// The attribute of a name (upper-cased), for the attributes accepted.
    fn of(key: &str) -> Option<Self> {
        Some(match key {
            "CN" => Attribute::CommonName,
            "O" => Attribute::Organization,
            "OU" => Attribute::OrganizationalUnit,
            "C" => Attribute::Country,
            "ST" => Attribute::StateOrProvince,
            "L" => Attribute::Locality,
            _ => return None,
        })
    }
}

/// Parses `KEY=value,KEY=value` (a `\,` is a comma inside a value) into its attributes in the
/// order written, values trimmed.
///
/// # Errors
/// Why the subject cannot be encoded: it is empty, a part has no `=`, an attribute is unknown
/// or repeated, a value is empty, or a country is not two letters.
pub(crate) fn parse(subject: &str) -> Result<Vec<(Attribute, String)>, String> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for part in split(subject) {
        let part = part.trim();
        let Some((key, value)) = part.split_once('=') else {
            return Err(format!("`{part}` is not KEY=value"));
        };
        let (key, value) = (key.trim().to_ascii_uppercase(), value.trim());
        let Some(attribute) = Attribute::of(&key) else {
            return Err(format!(
                "unknown attribute `{key}` (known: CN, O, OU, C, ST, L)"
            ));
        };
        if value.is_empty() {
            return Err(format!("`{key}` has an empty value"));
        }
        if seen.contains(&key) {
            return Err(format!("`{key}` appears twice"));
        }
        if attribute == Attribute::Country
            && (value.len() != 2 || !value.chars().all(|c| c.is_ascii_alphabetic()))
        {
            return Err(format!("country `{value}` is not a two-letter code"));
        }
        out.push((attribute, value.to_string()));
        seen.push(key);
    }
    if seen.is_empty() {
        return Err("it is empty".to_string());
    }
    Ok(out)
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

    #[test]
    fn parses_in_written_order_with_escapes() {
        let parsed = parse("CN=Lab CA, O=Acme\\, Inc.,c=FR").expect("valid subject");
        assert_eq!(
            parsed,
            vec![
                (Attribute::CommonName, "Lab CA".to_string()),
                (Attribute::Organization, "Acme, Inc.".to_string()),
                (Attribute::Country, "FR".to_string()),
            ]
        );
    }

    #[test]
    fn rejects_what_cannot_be_encoded() {
        for (subject, why) in [
            ("", "empty"),
            ("CN", "not KEY=value"),
            ("XX=1", "unknown attribute `XX`"),
            ("CN=", "empty value"),
            ("CN=a,CN=b", "appears twice"),
            ("C=France", "two-letter"),
        ] {
            let err = parse(subject).expect_err(subject);
            assert!(err.contains(why), "{subject}: {err}");
        }
    }
}
