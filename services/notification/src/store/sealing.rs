//! Keeping stored links sealed under the current `LINK_KEY`.
//!
//! The links registration sends (manage links, join links, invitation links) are stored sealed, as they
//! came. Two kinds of row need sealing anew, once, when the service starts: plain links kept
//! by a version from before links were sealed, and links sealed under a key since rotated
//! out (still listed in `LINK_KEY_PREVIOUS`, so they open). After that, dropping the old key
//! from `LINK_KEY_PREVIOUS` loses nothing.

use convene_shared::messages::{
    join_url_context, manage_url_context, open_link, register_url_context,
};
use convene_shared::sealed::{LinkKeys, Sealed};
use sqlx::PgPool;
use uuid::Uuid;

/// A table with a sealed link per row.
struct LinkColumn {
    table: &'static str,
    id: &'static str,
    link: &'static str,
    /// The context the row's link is sealed for.
    context: fn(Uuid) -> String,
}

const COLUMNS: [LinkColumn; 3] = [
    LinkColumn {
        table: "recipients",
        id: "registration_id",
        link: "manage_url",
        context: manage_url_context,
    },
    LinkColumn {
        table: "recipients",
        id: "registration_id",
        link: "join_url",
        context: join_url_context,
    },
    LinkColumn {
        table: "invitees",
        id: "invitation_id",
        link: "register_url",
        context: register_url_context,
    },
];

/// What [`reseal`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Links now sealed under the current key.
    pub sealed: u64,
    /// Links that no key opens (left as they are; their emails will fail until the key
    /// that sealed them is given again).
    pub unopened: u64,
}

/// Seals anew every stored link that is not sealed under the current key, a thousand rows
/// at a time. Postgres picks those rows itself (by the current key's prefix): at every
/// start, a table whose links are all current costs one pass inside Postgres, not every
/// row carried to the service and looked at here.
///
/// # Errors
/// When Postgres fails.
pub async fn reseal(pool: &PgPool, keys: &LinkKeys) -> sqlx::Result<Resealed> {
    let mut done = Resealed::default();
    for column in &COLUMNS {
        let LinkColumn {
            table, id, link, ..
        } = column;
        let select = format!(
            "SELECT {id}, {link} FROM {table} \
             WHERE {id} > $1 AND {link} <> '' AND left({link}, length($2)) <> $2 \
             ORDER BY {id} LIMIT 1000"
        );
        let current = keys.current_prefix();
        let update = format!("UPDATE {table} SET {link} = $2 WHERE {id} = $1 AND {link} = $3");
        let mut after = Uuid::nil();
        loop {
            let rows: Vec<(Uuid, Sealed)> = sqlx::query_as(&select)
                .bind(after)
                .bind(&current)
                .fetch_all(pool)
                .await?;
            let Some((last, _)) = rows.last() else {
                break;
            };
            after = *last;
            for (row, stored) in &rows {
                let context = (column.context)(*row);
                let Ok(plain) = open_link(keys, &context, stored) else {
                    done.unopened += 1;
                    continue;
                };
                // Unless the row changed meanwhile (a newer link arrived): then it is new.
                sqlx::query(&update)
                    .bind(row)
                    .bind(keys.seal(&context, &plain).as_str())
                    .bind(stored.as_str())
                    .execute(pool)
                    .await?;
                done.sealed += 1;
            }
        }
    }
    Ok(done)
}
