//! placeholder
#[derive(clap::Args)]
pub(crate) struct DoctorArgs {}
pub(crate) fn run(_args: DoctorArgs) -> anyhow::Result<()> {
    Ok(())
}
