//! The Data of a `Custom::PipLayer` answer (what `Fn::GetAtt` returns), within
//! CloudFormation's 4096-byte answer.

use cfn_warden::Context;
use warden_pip::{build::BuiltLayer, client::sha256_hex, target::Target};

use super::{policy::layer_arn, PipLayerProperties};

/// The `Packages` value is replaced by `PackagesSha256` above this many characters.
const MAX_PACKAGES_CHARS: usize = 1500;

/// `Warnings` is cut to this many characters.
const MAX_WARNINGS_CHARS: usize = 600;

/// The Data of an answer, as strings (what `Fn::GetAtt` returns).
pub(super) fn data(
    ctx: &Context,
    p: &PipLayerProperties,
    layer: &BuiltLayer,
    arn: &str,
    version: i64,
) -> Vec<(&'static str, String)> {
    let packages = layer.pins().join(",");
    let mut out = vec![
        ("LayerVersionArn", arn.to_owned()),
        ("LayerArn", layer_arn(ctx, &p.layer_name)),
        ("Version", version.to_string()),
        ("ContentSha256", layer.zip.sha256.clone()),
        ("ZippedBytes", layer.zip.bytes.len().to_string()),
        ("UnzippedBytes", layer.zip.unzipped_bytes.to_string()),
        ("Files", layer.zip.files.to_string()),
    ];
    if packages.len() <= MAX_PACKAGES_CHARS {
        out.push(("Packages", packages));
    } else {
        out.push(("PackagesSha256", sha256_hex(packages.as_bytes())));
    }
    out.push(("PythonVersion", python_version(p)));
    out.push(("UnzippedHeadroomBytes", layer.headroom_bytes().to_string()));
    if !layer.excluded.is_empty() {
        let excluded: Vec<String> = layer
            .excluded
            .iter()
            .map(|e| format!("{}=={}", e.name, e.version))
            .collect();
        out.push((
            "Excluded",
            cut_chars(&excluded.join(","), MAX_PACKAGES_CHARS),
        ));
        out.push(("ExcludedUnzippedBytes", layer.excluded_bytes().to_string()));
    }
    if !layer.warnings.is_empty() {
        out.push((
            "Warnings",
            cut_chars(&layer.warnings.join("; "), MAX_WARNINGS_CHARS),
        ));
    }
    out
}

/// The Python release the layer was built for.
pub(super) fn python_version(p: &PipLayerProperties) -> String {
    let target = Target::new(&p.runtime, &p.architecture);
    let target = match &p.python_version {
        Some(v) => target.and_then(|t| t.with_python_version(v)),
        None => target,
    };
    target
        .map(|t| t.python_full_version().to_string())
        .unwrap_or_default()
}

/// At most `limit` characters, then `…`.
fn cut_chars(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(limit).collect();
    out.push('…');
    out
}
