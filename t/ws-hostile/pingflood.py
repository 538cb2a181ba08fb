# pingflood.py PORT SERVROOT N: N pings of 125 bytes, pongs never read;
# fails when the worker's VmRSS grew by more than 8 MiB (max_queue is 64k).
# The client's receive buffer is 64 KiB: with 4 KiB, never read and filled
# with 127-byte pongs, loopback TCP itself stalled now and then (the
# client dropped the server's segments, their ACKs with them: both ends in
# RTO backoff for seconds while the worker had read everything, ss -tinm)
import sys, time, os; sys.path.insert(0, os.path.dirname(__file__)); from wsc import *
port, root, N = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
w = worker(root); before = rss(w)
s, r = connect(port, "/r/echo", rcvbuf=65536)
batch = frame(9, b"p" * 125) * 1000
s.settimeout(10)
for i in range(N // 1000): s.sendall(batch)
time.sleep(1); after = rss(w); s.close()
print("pingflood: %d pings (%d KiB) unread pongs: VmRSS %d -> %d KiB" % (N, N * 131 // 1024, before, after))
sys.exit(1 if after - before > 8192 else 0)
