"""Fleet service for social agencies; `fleet.protocol` is the robot <-> fleet wire contract."""
