//! `meetingmap keys`: API keys for editing by hand. The key is printed once, at creation; only
//! the SHA-256 of its secret is stored.

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

use crate::directory::Directory;
use crate::domain::{ApiKey, Role};
use crate::editing::keys;
use crate::settings::DatabaseSettings;

#[derive(Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make a key and print it (once: it cannot be shown again).
    Create {
        /// Who holds it (`Wrexham agency`), shown in the audit trail.
        #[arg(long)]
        name: String,
        /// `editor` (writes the sources given) or `admin` (writes all, manages reports).
        #[arg(long)]
        role: String,
        /// Sources an editor may write, comma-separated.
        #[arg(long, value_delimiter = ',')]
        sources: Vec<String>,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Every key, without secrets.
    List {
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Revoke a key at once, by its id (from `keys list`).
    Revoke {
        id: String,
        #[command(flatten)]
        database: DatabaseSettings,
    },
}

impl KeysCommand {
    fn database(&self) -> &str {
        match self {
            KeysCommand::Create { database, .. }
            | KeysCommand::List { database }
            | KeysCommand::Revoke { database, .. } => &database.url,
        }
    }
}

pub async fn run(args: KeysArgs) -> anyhow::Result<()> {
    let directory = Directory::open_for_writes(args.command.database()).await?;
    match args.command {
        KeysCommand::Create {
            name, role, sources, ..
        } => {
            let role =
                Role::parse(&role).with_context(|| format!("role `{role}` is neither editor nor admin"))?;
            let name = name.trim().to_string();
            if name.is_empty() {
                bail!("give the key a --name saying who holds it");
            }
            let sources: Vec<String> = sources
                .into_iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            for source in &sources {
                crate::import::source::check_id(source).map_err(anyhow::Error::msg)?;
            }
            if role == Role::Editor && sources.is_empty() {
                bail!("an editor's key needs --sources (the source ids it may write)");
            }
            let new = keys::generate();
            let key = ApiKey {
                id: new.id.clone(),
                name,
                role,
                sources: if role == Role::Admin { Vec::new() } else { sources },
                created_at: jiff::Timestamp::now(),
                revoked_at: None,
            };
            directory.put_key(&key, &new.hash).await?;
            eprintln!(
                "key {} made for {} ({}); it is shown once, here:",
                key.id,
                key.name,
                key.role.as_str()
            );
            println!("{}", new.token);
        }
        KeysCommand::List { .. } => {
            for key in directory.keys().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    key.id,
                    key.role.as_str(),
                    key.name,
                    if key.sources.is_empty() {
                        "*".to_string()
                    } else {
                        key.sources.join(",")
                    },
                    key.revoked_at
                        .map_or("live".to_string(), |at| format!("revoked {at}")),
                );
            }
        }
        KeysCommand::Revoke { id, .. } => {
            let Some((mut key, hash)) = directory.key(&id).await? else {
                bail!("no key has id `{id}` (see `meetingmap keys list`)");
            };
            if key.revoked_at.is_none() {
                key.revoked_at = Some(jiff::Timestamp::now());
                directory.put_key(&key, &hash).await?;
            }
            println!("key {id} ({}) is revoked", key.name);
        }
    }
    Ok(())
}
