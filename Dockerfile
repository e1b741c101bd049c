# govfed on Debian 12: a build stage, then a small runtime image.
FROM debian:12 AS build
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      --no-install-recommends build-essential cmake pkg-config ca-certificates \
      libgit2-dev libnng-dev libsodium-dev libjansson-dev zlib1g-dev \
      libsqlite3-dev libcmocka-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DGOVFED_TESTS=OFF -DGOVFED_BENCH=OFF \
    && cmake --build /build -j "$(nproc)" \
    && install -m 0755 /build/node/govfed /usr/local/bin/govfed

FROM debian:12
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      --no-install-recommends libgit2-1.5 libnng1 libsodium23 libjansson4 \
      zlib1g libsqlite3-0 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/govfed /usr/local/bin/govfed
# a node's home (keys, store, config) lives on a volume
VOLUME /data
EXPOSE 7400
ENTRYPOINT ["govfed"]
CMD ["--help"]
