"""Nodes that stand in for hardware and people in the simulated home."""

# The simulated parts every local run starts ("name": "module:Class"); the camera
# (a video file, or the physics world's renderer) is added by whoever has one.
SIMULATED_NODES = {
    "battery_sim": "simulations.nodes.battery_sim_node:BatterySimNode",
    "resident_speech": "simulations.nodes.resident_speech_node:ResidentSpeechNode",
}
