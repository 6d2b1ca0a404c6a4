"""The robot's side of the fleet link: the durable alert outbox (the MQTT node comes next)."""
