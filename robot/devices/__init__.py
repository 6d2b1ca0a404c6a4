"""The home's assistive devices through Zigbee2MQTT (issue 9): the device link's parts.

- `zigbee2mqtt`: topics, payloads -> normalised readings per role, bridge/devices, /set;
- `registry`: which paired device has which role (cfg/devices, or the node parameter);
- `health`: the core: messages in, /devices/event and `device.status` changes out;
- `home_assistant`: MQTT discovery payloads for the robot's own entities;
- `home_broker`: the embedded home MQTT broker (amqtt, loopback) when the home has none.

The node wiring them is `robot.nodes.device_link_node`.
"""
