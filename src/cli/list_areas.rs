//! `meetingmap list-areas`: the areas a coverage report can be about, with the names and codes
//! `--area` and `area=` take, so nobody has to guess an ONS code.

use clap::Args;

use crate::coverage::{find_area, known_areas, Level};

#[derive(Args)]
pub struct ListAreasArgs {
    /// Only this level: `lad` (districts), `utla` (counties and unitary authorities; Welsh health
    /// boards) or `nation`.
    #[arg(long, value_parser = |t: &str| Level::parse(t).ok_or_else(|| format!("must be lad, utla or nation, not `{t}`")))]
    level: Option<Level>,
    /// Only areas whose name contains this text (any case); a near miss lists suggestions.
    #[arg(long)]
    name: Option<String>,
}

pub fn run(args: ListAreasArgs) -> anyhow::Result<()> {
    let wanted = args.name.as_deref().map(str::to_lowercase);
    let mut shown = 0;
    println!("code\tlevel\tname");
    for area in known_areas() {
        if args.level.is_some_and(|l| l != area.at) {
            continue;
        }
        if wanted
            .as_deref()
            .is_some_and(|w| !area.name.to_lowercase().contains(w))
        {
            continue;
        }
        println!("{}\t{}\t{}", area.code, area.at.short_label(), area.name);
        shown += 1;
    }
    if shown == 0 {
        if let Some(name) = &args.name {
            match find_area(name, args.level) {
                Ok(area) => println!("{}\t{}\t{}", area.code, area.at.short_label(), area.name),
                Err(near) if !near.is_empty() => {
                    anyhow::bail!(
                        "no area is called `{name}`; did you mean {}?",
                        near.iter()
                            .map(|a| format!("{} ({})", a.name, a.at.short_label()))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    )
                }
                Err(_) => anyhow::bail!("no area is called `{name}`"),
            }
        }
    }
    Ok(())
}
