"""Speech: audio in and out, VAD, ASR (vosk), TTS (pyttsx3), intents and the dialog manager.

Domain package: never imports `robot` or `fleet`.
"""
