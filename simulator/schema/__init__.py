"""The sections of a scenario file, one module per concept; `simulator.scenario` assembles them."""
