# zbuf.py PORT SERVROOT: with permessage-deflate the plugin sends one
# 64 MiB message of poorly compressible text; after the connection is
# gone the worker must not keep it (fails when VmRSS stays > 16 MiB up)
import sys, time, os; sys.path.insert(0, os.path.dirname(__file__)); from wsc import *
port, root = int(sys.argv[1]), sys.argv[2]
w = worker(root); before = rss(w)
s, r = connect(port, "/r/badclose", "Sec-WebSocket-Extensions: permessage-deflate\r\n")
s.sendall(frame(1, b"huge64")); s.settimeout(5); got = 0; t0 = time.time()
while time.time() - t0 < 10:
    try: d = s.recv(1 << 20)
    except socket.timeout: break
    if not d: break
    got += len(d)
    if got >= 50 << 20: time.sleep(0.5); break
s.close(); time.sleep(1); after = rss(w)
print("zbuf: one 64 MiB message sent: VmRSS %d -> %d KiB after the connection" % (before, after))
sys.exit(1 if after - before > 16384 else 0)
