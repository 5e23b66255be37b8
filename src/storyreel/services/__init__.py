"""Use cases, one module each (film, plan, shotlist, shoot, review, cut, demo). CLI and studio call these."""
