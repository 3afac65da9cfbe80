# labhooks container image.
#   docker build -t labhooks .
#   docker run -p 8080:8080 -e LOLA_WEBHOOK_SECRET=whsec_... -v labhooks-data:/app/data labhooks
# Provider secrets come only from the environment at run time (see application.yaml); none are baked in, and
# application-demo.yaml (throw-away demo secrets) is deliberately not copied into the image.

# ---- Stage 1: build the Spring Boot jar ----
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build

# The pom alone first, so the dependency download is a cached layer that only a pom change invalidates.
COPY pom.xml .
RUN mvn -B dependency:go-offline

# The jar gets one fixed name for the next stage, whatever the version: the glob skips the repackager's
# *.jar.original, and cp fails loudly should it ever match more than one jar.
COPY src ./src
# application.yaml is also the jar's built-in defaults (see pom.xml <resources>)
COPY application.yaml .
RUN mvn -B -DskipTests package \
    && cp target/labhooks-*.jar /build/labhooks.jar

# ---- Stage 2: runtime ----
FROM eclipse-temurin:17-jre

# A fixed non-root uid/gid, so bind-mounted data directories can be chown'ed to it on the host.
RUN groupadd --system --gid 10001 labhooks \
    && useradd --system --uid 10001 --gid labhooks --home-dir /app --no-create-home --shell /usr/sbin/nologin labhooks

WORKDIR /app

COPY --from=build /build/labhooks.jar /app/labhooks.jar
# The flow, the mappings and the configuration are read from the working directory at run time (they are not
# in the jar), so integrators can replace them by mounting over these paths. Owned by root: the box only reads them.
COPY routes/ /app/routes/
COPY mappings/ /app/mappings/
COPY application.yaml /app/application.yaml

# The default H2 database lives in ./data (/app/data); the only directory the box writes to.
# A named volume inherits this ownership; a bind-mounted host directory must be writable by uid 10001.
RUN mkdir -p /app/data && chown labhooks:labhooks /app/data

# Declared after the content and ownership above are in place: changes to a volume path after VOLUME are discarded.
VOLUME ["/app/routes", "/app/mappings", "/app/data"]

EXPOSE 8080

# No HEALTHCHECK: the health endpoint is GET /actuator/health on port 8080; probe it from the orchestrator
# (e.g. a Kubernetes httpGet liveness/readiness probe). The Ubuntu-based eclipse-temurin image does currently ship
# curl, but only "for historical reasons" (adoptium/containers#255), so an in-image check would rest on it:
#   HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD curl -fsS http://localhost:8080/actuator/health || exit 1

USER labhooks

# The box's memory settings (README "Memory"): a bounded heap, stack, code cache and metaspace, NIO's per-thread
# buffer cache bounded, freed C heap handed back to the system every 5 s, and glibc's malloc arenas capped (each
# thread's arena otherwise adds tens of MB of RSS). Override with -e JAVA_TOOL_OPTIONS=...
ENV MALLOC_ARENA_MAX=2 \
    JAVA_TOOL_OPTIONS="-Xmx256m -Xss512k -XX:+UseSerialGC -XX:ReservedCodeCacheSize=64m -XX:MaxMetaspaceSize=192m -Djdk.nio.maxCachedBufferSize=262144 -XX:TrimNativeHeapInterval=5000"

ENTRYPOINT ["java", "-jar", "/app/labhooks.jar"]
