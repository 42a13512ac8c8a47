"""Web analytics: sessions derived per visitor, figures and breakdowns at query time."""
