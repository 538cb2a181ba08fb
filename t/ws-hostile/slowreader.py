# slowreader.py PORT MSGS: the plugin queues MSGS x 64 KiB; the client reads
# steadily (16 KiB every 10 ms); fails when the server gives up on it
import sys, time, os; sys.path.insert(0, os.path.dirname(__file__)); from wsc import *
port, msgs = int(sys.argv[1]), int(sys.argv[2])
s, r = connect(port, "/r/badclose", rcvbuf=8192)
s.sendall(frame(1, b"big%d" % msgs))
t0 = time.time(); got = 0; want = msgs * (65536 + 4); s.settimeout(5)
try:
    while got < want:
        d = s.recv(16384)
        if not d: break
        got += len(d); time.sleep(0.01)
except socket.timeout: pass
print("slowreader: read %d of %d bytes in %.1fs" % (got, want, time.time() - t0))
sys.exit(0 if got >= want else 1)
