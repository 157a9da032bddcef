// Placeholder until this integration lands.
