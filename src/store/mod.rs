//! Files credwise reads and writes: versioned snapshot files and the user's directories.
//! May import `domain`, serde and the filesystem; never the terminal or HTTP.

pub mod cache;
pub mod paths;
pub mod snapshot_file;
