# ngx_cweb: build the module and run the test suite on Debian bookworm,
# then serve with conf/nginx.conf.  The same steps run without Docker via
# `make test` / `make run` (the Makefile installs what is missing).
#
#   docker build -t ngx_cweb .
#   docker run -p 8080:8080 -v cweb-state:/src/build/run/cweb ngx_cweb

FROM debian:bookworm

ENV DEBIAN_FRONTEND=noninteractive

# make, then the Makefile installs the rest (DEB_PKGS: the same list a
# fresh machine gets from `make deps`)
RUN apt-get update \
    && apt-get install -y --no-install-recommends make ca-certificates \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . /src

RUN make deps && rm -rf /var/lib/apt/lists/*
RUN make && make test

EXPOSE 8080

# make run listens on 127.0.0.1; in a container nginx must listen on all
# addresses for -p to reach it
RUN sed -i 's/listen       127.0.0.1:8080;/listen       8080;/' conf/nginx.conf

CMD ["make", "run"]
