"""Topic declarations (topics.toml) and the tools that plan and apply them."""
