"""Telepresence: video consultations (WebRTC peer on the robot, signalling, consent).

Domain package: never imports `robot` or `fleet`.
"""
