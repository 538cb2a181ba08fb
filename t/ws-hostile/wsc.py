import socket, os, struct, base64, time, sys
def hs(path, host="127.0.0.1", extra=""):
    key = base64.b64encode(os.urandom(16)).decode()
    return ("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n" % (path, host, key, extra)).encode()
def frame(op, payload=b"", fin=1, rsv=0, mask=b"\x01\x02\x03\x04"):
    b0 = (0x80 if fin else 0) | (rsv << 4) | op
    n = len(payload)
    if n < 126: h = bytes([b0, 0x80 | n])
    elif n < 65536: h = bytes([b0, 0xfe]) + struct.pack(">H", n)
    else: h = bytes([b0, 0xff]) + struct.pack(">Q", n)
    m = bytes(payload[i] ^ mask[i % 4] for i in range(n))
    return h + mask + m
def connect(port, path, extra="", rcvbuf=None):
    s = socket.socket()
    if rcvbuf: s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    s.sendall(hs(path, "127.0.0.1:%d" % port, extra))
    resp = b""
    while b"\r\n\r\n" not in resp:
        d = s.recv(1)
        if not d: break
        resp += d
    return s, resp.decode(errors="replace")
def rss(pid):
    for l in open("/proc/%d/status" % pid):
        if l.startswith("VmRSS"): return int(l.split()[1])
def worker(root):
    mp = int(open(root + "/logs/nginx.pid").read())
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                st = open("/proc/%s/stat" % d).read()
                if (int(st.split(")")[1].split()[1]) == mp
                        and b"worker process" in open("/proc/%s/cmdline" % d, "rb").read()):
                    return int(d)
            except Exception: pass
