"""Files that project generators write (Create React App, Vite, Next.js, Angular, Rails, Django,
Spring Initializr, .NET templates, Maven/Gradle wrappers, tool configs): identical in unrelated
repositories and written by no candidate. Shared-code detection (``overlap``) and the candidate's
own work (``provenance``) both set them aside.
"""

from __future__ import annotations

import re

# Paths (relative to the submission root, possibly below a sub-folder such as ``frontend/``)
# that project generators write. Matched against the path's tail.
GENERATOR_FILES = re.compile(
    r"(^|/)("
    # Create React App, Vite, Next.js
    r"src/(setupTests|reportWebVitals|serviceWorker|setupProxy)\.[jt]sx?"
    r"|src/App\.test\.[jt]sx?|src/(main|index)\.[jt]sx?"
    r"|pages/_(app|document)\.[jt]sx?|(pages|app)/api/hello\.[jt]s"
    # Angular CLI
    r"|src/(polyfills|test)\.ts|src/environments/[^/]+\.ts|src/app/app\.component\.spec\.ts"
    r"|karma\.conf\.js|protractor\.conf\.js|e2e/.*"
    # Rails
    r"|bin/[^/]+|config/.*|config\.ru|db/(schema|seeds)\.rb"
    r"|app/(channels/application_cable/[^/]+|jobs/application_job|mailers/application_mailer"
    r"|models/application_record|controllers/application_controller"
    r"|helpers/application_helper)\.rb"
    r"|app/javascript/(packs/application|channels/[^/]+|controllers/(index|application"
    r"|hello_controller))\.js"
    r"|test/(test_helper|application_system_test_case)\.rb"
    r"|test/channels/application_cable/connection_test\.rb|spec/(spec|rails)_helper\.rb"
    # Maven and Gradle wrappers
    r"|mvnw(\.cmd)?|gradlew(\.bat)?|gradle/wrapper/.*"
    # Spring Initializr, .NET templates
    r"|src/main/java/.*Application\.java|src/test/java/.*ApplicationTests\.java"
    r"|[^/]*Application(Tests)?\.kt|Properties/.*|WeatherForecast(Controller)?\.cs"
    r"|UnitTest1\.cs|Program\.cs|Startup\.cs"
    # Django and Python packaging
    r"|manage\.py|[^/]+/(wsgi|asgi|settings|urls|apps|admin)\.py|(.*/)?migrations/.*"
    r"|setup\.py"
    # tool configuration
    r"|[^/]*\.config\.[cm]?[jt]s|\.?[^/]*rc\.[cm]?js|jest\.setup\.[jt]s|next-env\.d\.ts"
    r")$"
)


def is_generator_file(path: str) -> bool:
    return bool(GENERATOR_FILES.search(path))
