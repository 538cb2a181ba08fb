# zleak.py PORT SERVROOT N MODE: N connections with permessage-deflate,
# each sends the first compressed fragment of a message (MODE frag) or a
# corrupt compressed message (MODE bad), then goes; fails when VmRSS grew
# by more than 4 MiB
import sys, time, zlib, os; sys.path.insert(0, os.path.dirname(__file__)); from wsc import *
port, root, N, mode = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
w = worker(root); before = rss(w)
c = zlib.compressobj(9, zlib.DEFLATED, -15)
data = c.compress(os.urandom(3000).hex().encode()) + c.flush(zlib.Z_SYNC_FLUSH)
for i in range(N):
    s, r = connect(port, "/r/echo", "Sec-WebSocket-Extensions: permessage-deflate\r\n")
    if mode == "frag": s.sendall(frame(1, data, fin=0, rsv=4))
    elif mode == "plain": s.sendall(frame(1, data, fin=0))
    else: s.sendall(frame(1, data[:200] + b"\xff" * 50, rsv=4))
    time.sleep(0.002); s.close()
time.sleep(1); after = rss(w)
print("zleak %s: %d connections: VmRSS %d -> %d KiB" % (mode, N, before, after))
sys.exit(1 if after - before > 4096 else 0)
