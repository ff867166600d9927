// Placeholder until the LLM client lands.
