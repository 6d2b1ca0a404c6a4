"""Vision on the robot: the fall detector and what feeds it frames.

`fall_detector` is the pure core (numpy frames in, events out); `frames`
checks frames and converts `sensor_msgs/Image`; `video` reads clips (needs
OpenCV, the `vision` extra); `evaluation` scores the detector on labelled clips.
"""
