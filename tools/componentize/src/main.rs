//! Build tool: encodes core wasm modules (as rustc writes them for
//! `wasm32-unknown-unknown`) into components, using the type information
//! wit-bindgen embedded in them. With `--wasi-adapter` the module's
//! `wasi_snapshot_preview1` imports are adapted to WASI preview 2 (used for the
//! test guest that proves WASI-importing components load, locked down).
//!
//! Usage: `componentize [--wasi-adapter] <input.wasm> <output.wasm>`.
//! The output is rewritten only when the input is newer.

use std::path::Path;

use anyhow::{Context, Result, bail};
use wit_component::ComponentEncoder;

fn main() -> Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let adapt = if let Some(pos) = args.iter().position(|a| a == "--wasi-adapter") {
        args.remove(pos);
        true
    } else {
        false
    };
    let [input, output] = args.as_slice() else {
        bail!("usage: componentize [--wasi-adapter] <input.wasm> <output.wasm>");
    };
    let (input, output) = (Path::new(input), Path::new(output));
    if is_up_to_date(input, output) {
        return Ok(());
    }
    let module = std::fs::read(input).with_context(|| format!("reading {}", input.display()))?;
    let mut encoder = ComponentEncoder::default()
        .module(&module)
        .with_context(|| format!("{} carries no component type information", input.display()))?
        .validate(true);
    if adapt {
        encoder = encoder.adapter(
            "wasi_snapshot_preview1",
            wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
        )?;
    }
    let component = encoder
        .encode()
        .with_context(|| format!("encoding {} as a component", input.display()))?;
    if let Some(dir) = output.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(output, component).with_context(|| format!("writing {}", output.display()))?;
    println!("componentized {} -> {}", input.display(), output.display());
    Ok(())
}

fn is_up_to_date(input: &Path, output: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    matches!((modified(input), modified(output)), (Some(i), Some(o)) if o >= i)
}
