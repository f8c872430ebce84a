//! `zkinfer registry`: one verifier for every weight set of an architecture (docs/contracts.md,
//! "One verifier per architecture").

use crate::output::{print_rows, warn_insecure};
use std::path::PathBuf;
use zkinfer::chain::ClientConfig;
use zkinfer::{pipeline, Error, Result};

#[derive(clap::Subcommand)]
pub(crate) enum RegistryCmd {
    /// Deploy the architecture verifier of a --weights hashed build and a ModelRegistry serving
    /// it (recorded in DIR/registry.json). Example: zkinfer registry deploy build/
    Deploy {
        dir: PathBuf,
        /// RPC URL (default: ETH_RPC_URL, else http://127.0.0.1:8545). Key: PRIVATE_KEY or ETH_KEYSTORE.
        #[arg(long)]
        rpc_url: Option<String>,
    },
    /// Name a --weights hashed build's weights commitment ID in a registry of its architecture
    /// (checked first). Example: zkinfer registry register build/ --registry 0x… --id lenet-v1
    Register {
        dir: PathBuf,
        /// The ModelRegistry (default: the one `zkinfer registry deploy` recorded in DIR).
        #[arg(long)]
        registry: Option<String>,
        /// The model id: up to 32 bytes, stored as a bytes32; never reused once registered.
        #[arg(long)]
        id: String,
        #[arg(long)]
        rpc_url: Option<String>,
    },
    /// Deploy a RegisteredInference consumer of one registry entry (recorded in
    /// DIR/deployment.json, so `zkinfer submit DIR` finds it). Example: zkinfer registry consumer
    /// build/ --registry 0x… --id lenet-v1
    Consumer {
        dir: PathBuf,
        #[arg(long)]
        registry: Option<String>,
        #[arg(long)]
        id: String,
        #[arg(long)]
        rpc_url: Option<String>,
    },
}

fn registry_address(dir: &std::path::Path, given: Option<String>) -> Result<alloy::primitives::Address> {
    match given {
        Some(a) => a.parse().map_err(|e| Error::Usage {
            flag: "--registry".into(),
            reason: format!("{a:?} is not an address ({e}): give the ModelRegistry's 0x address"),
        }),
        None => Ok(zkinfer::chain::registry::RegistryDeployment::load(dir)?.registry),
    }
}

pub(crate) async fn run(cmd: RegistryCmd, json: bool) -> Result<()> {
    match cmd {
        RegistryCmd::Deploy { dir, rpc_url } => {
            let cfg = ClientConfig::from_env(rpc_url.as_deref())?;
            let (d, out) = pipeline::registry_deploy(&dir, &cfg, pipeline::Placement::Inline).await?;
            warn_insecure(&dir);
            let sizes: Vec<String> = out.runtime_sizes().iter().map(|(c, s)| format!("{c} {s} B")).collect();
            print_rows(
                json,
                &[
                    ("registry", d.registry.to_string()),
                    ("verifier", d.verifier.to_string()),
                    ("architecture", d.architecture.clone()),
                    ("gas", format!("verifier {}, registry {}", d.verifier_gas, d.registry_gas)),
                    ("runtime_sizes", sizes.join(", ")),
                    ("recorded", dir.join("registry.json").display().to_string()),
                ],
            );
        }
        RegistryCmd::Register { dir, registry, id, rpc_url } => {
            let registry = registry_address(&dir, registry)?;
            let cfg = ClientConfig::from_env(rpc_url.as_deref())?;
            let r = pipeline::registry_register(&dir, registry, &id, &cfg).await?;
            print_rows(
                json,
                &[
                    ("registry", r.registry.to_string()),
                    ("id", format!("{id} ({})", r.id)),
                    ("commitment", format!("{:#x}", r.commitment)),
                    ("gas", r.gas.to_string()),
                ],
            );
        }
        RegistryCmd::Consumer { dir, registry, id, rpc_url } => {
            let registry = registry_address(&dir, registry)?;
            let cfg = ClientConfig::from_env(rpc_url.as_deref())?;
            let d = pipeline::deploy_registered(&dir, registry, &id, &cfg).await?;
            print_rows(
                json,
                &[
                    ("consumer", d.consumer.to_string()),
                    ("verifier", format!("{} (the registry's)", d.verifier)),
                    ("model id", id),
                    ("gas", d.consumer_gas.to_string()),
                    ("deployment", dir.join("deployment.json").display().to_string()),
                ],
            );
        }
    }
    Ok(())
}
