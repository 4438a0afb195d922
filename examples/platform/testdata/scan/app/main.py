import os
from agent.scanner import Scanner
from agent.scanner_v2 import Scanner

SECRET_KEY = os.getenv("SECRET_KEY", "dev-secret-key-change-in-production")


def handle(request):
    try:
        return Scanner().run(request)
    except Exception as e:
        return {"error": str(e)}
