# keyrot's image: FROM scratch, so building it pulls nothing. Its one layer is the root file
# system image/rootfs.sh lays out: the binary, the C libraries it loads, CA certificates, and a
# non-root user. No shell, no package manager.
#
#   cargo build --release --locked
#   image/rootfs.sh target/release/keyrot target/image
#   buildah bud --isolation chroot -t keyrot:0.2.0 -f Dockerfile target/image
#   (or: docker build -t keyrot:0.2.0 -f Dockerfile target/image)
FROM scratch
COPY rootfs/ /
USER 65532:65532
WORKDIR /tmp
EXPOSE 9466
ENTRYPOINT ["/usr/local/bin/keyrot"]
CMD ["--help"]
