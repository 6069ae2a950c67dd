import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A small chat client and its lockstep harness, Java 17 and the JDK only
 * (java.net.http.HttpClient and its WebSocket), written from docs/protocols/chat.md and
 * docs/real-socket-mode.md.
 *
 * <pre>
 *   lockstep check --real --client-cmd "java examples/real/java/ChatHarness.java" --scenario chat/tc1-normal-websocket-flow --profile real-time
 * </pre>
 *
 * The app runs on one thread (`loop`): every callback of the HTTP client and the WebSocket
 * hops onto it, so its state needs no locks. Network work an action starts waits behind a
 * gate until the harness has reported the action (docs/real-socket-mode.md, "The loop a
 * client runs").
 */
public final class ChatHarness {
    static final String BASE = System.getenv("LOCKSTEP_BASE_URL");
    static final String WS = System.getenv("LOCKSTEP_WS_URL");
    static final String CONTROL = System.getenv("LOCKSTEP_CONTROL_URL");
    static final String TOKEN = System.getenv("LOCKSTEP_TOKEN");
    static final String NODE = System.getenv().getOrDefault("LOCKSTEP_NODE", "c1");

    /** The app's one thread. */
    static final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "app");
        t.setDaemon(true);
        return t;
    });
    /**
     * HTTP/1.1 only: the JDK client's default (HTTP/2) sends `Upgrade: h2c` on a plain-http
     * request, which a WebSocket-serving HTTP/1.1 server may take for an upgrade.
     */
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30)).build();

    // ---- the I/O gate ---------------------------------------------------------------------

    static boolean gateOpen = true;
    static final List<Runnable> held = new ArrayList<>();

    /** Runs `r` (on the app thread) now, or when the gate opens. */
    static void gate(Runnable r) {
        if (gateOpen) r.run();
        else held.add(r);
    }

    static void setGate(boolean open) {
        gateOpen = open;
        if (open) {
            List<Runnable> go = new ArrayList<>(held);
            held.clear();
            go.forEach(Runnable::run);
        }
    }

    // ---- the app --------------------------------------------------------------------------

    /** Survives an app restart, as the device's storage does. */
    static final Map<String, Object> storage = new HashMap<>();

    static final class ChatApp {
        static final int[] BACKOFF = {2, 4, 8, 16, 32};
        String conversation;
        final Map<String, Map<String, Object>> messages = new LinkedHashMap<>();
        int session;
        WebSocket ws;
        Object wsToken;
        String connection = "idle";
        int failures;
        boolean polling, authError, outboxBusy, disposed;
        long lastSend = -1;
        ScheduledFuture<?> reconnect, heartbeat, catchUpRetry, pollTimer;

        ChatApp() {
            flushOutbox();
        }

        // -- the user's actions

        void openConversation(String c) {
            authError = false;
            leave();
            conversation = c;
            session++;
            failures = 0;
            connect();
            catchUp(session, 0);
            flushOutbox();
        }

        void closeConversation() {
            if (conversation == null) return;
            leave();
            session++;
        }

        void send(String text) {
            if (conversation == null) return;
            boolean resumed = authError;
            authError = false;
            int counter = (int) storage.getOrDefault("counter", 0) + 1;
            storage.put("counter", counter);
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("conversation", conversation);
            e.put("content", text);
            e.put("clientMessageId", NODE + "-" + counter);
            e.put("timestamp", Instant.now().truncatedTo(ChronoUnit.MILLIS).toString());
            outbox().add(e);
            lastSend = System.nanoTime();
            flushOutbox();
            if (resumed && ws == null) {
                failures = 0; // the user acted after an auth error: try the socket again
                connect();
            } else if (polling) {
                cancel(pollTimer); // the interval just shrank to 2 s
                pollTimer = later(interval(), () -> poll(session));
            }
        }

        /** The app is killed: its sockets and requests die with it (no close frames). */
        void dispose() {
            disposed = true;
            cancel(reconnect);
            cancel(heartbeat);
            cancel(catchUpRetry);
            cancel(pollTimer);
            if (ws != null) ws.abort();
        }

        // -- what the user sees

        Map<String, Object> snapshot() {
            List<Map<String, Object>> list = new ArrayList<>();
            List<Object> acked = new ArrayList<>();
            for (Map<String, Object> m : messages.values()) {
                Map<String, Object> x = new LinkedHashMap<>();
                for (String k : new String[] {"id", "role", "content", "timestamp", "clientMessageId"})
                    if (m.get(k) != null) x.put(k, m.get(k));
                list.add(x);
                acked.add(m.get("clientMessageId"));
            }
            for (Map<String, Object> e : outbox()) {
                if (!e.get("conversation").equals(conversation) || acked.contains(e.get("clientMessageId"))) continue;
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("id", "local:" + e.get("clientMessageId"));
                x.put("role", "user");
                x.put("content", e.get("content"));
                x.put("timestamp", e.get("timestamp"));
                x.put("clientMessageId", e.get("clientMessageId"));
                x.put("pending", true);
                list.add(x);
            }
            list.sort((a, b) -> ((String) a.get("timestamp")).compareTo((String) b.get("timestamp")));
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("conversation", conversation);
            s.put("messages", conversation == null ? List.of() : list);
            s.put("connection", connection);
            s.put("polling", polling);
            s.put("outbox", outbox().size());
            s.put("authError", authError);
            return s;
        }

        // -- plumbing

        @SuppressWarnings("unchecked")
        static List<Map<String, Object>> outbox() {
            return (List<Map<String, Object>>) storage.computeIfAbsent("outbox", k -> new ArrayList<>());
        }

        ScheduledFuture<?> later(double seconds, Runnable r) {
            return loop.schedule(() -> {
                if (!disposed) r.run();
            }, (long) (seconds * 1000), TimeUnit.MILLISECONDS);
        }

        static void cancel(ScheduledFuture<?> f) {
            if (f != null) f.cancel(false);
        }

        /** Runs `r` on the app thread unless the app was killed meanwhile. */
        Runnable onLoop(Runnable r) {
            return () -> loop.execute(() -> {
                if (!disposed) r.run();
            });
        }

        static String path(String c) {
            return "/api/v1/consultations/" + URLEncoder.encode(c, StandardCharsets.UTF_8).replace("+", "%20");
        }

        void leave() {
            cancel(reconnect);
            cancel(heartbeat);
            cancel(catchUpRetry);
            stopPolling();
            closeSocket(1000);
            conversation = null;
            messages.clear();
            connection = "idle";
        }

        void closeSocket(int code) {
            WebSocket w = ws;
            ws = null;
            wsToken = null;
            if (w == null) return;
            w.sendClose(code, "").whenComplete((x, e) -> {});
            loop.schedule(w::abort, 5, TimeUnit.SECONDS); // the server may never answer (half-open)
        }

        /** A 401 (or a 4001 close): stop polling, reconnecting and sending until the user acts. */
        void authFailed() {
            authError = true;
            stopPolling();
            cancel(reconnect);
            cancel(heartbeat);
            cancel(catchUpRetry);
            closeSocket(1000);
            if (conversation != null) connection = "closed";
        }

        // -- the socket

        void connect() {
            int s = session;
            String c = conversation;
            connection = "connecting";
            Object me = new Object();
            wsToken = me;
            gate(() -> {
                if (s != session || authError || wsToken != me) return;
                URI uri = URI.create(WS + path(c) + "/ws?token=" + URLEncoder.encode(TOKEN, StandardCharsets.UTF_8));
                WebSocket.Listener listener = new WebSocket.Listener() {
                    final StringBuilder text = new StringBuilder();

                    @Override
                    public void onOpen(WebSocket w) {
                        onLoop(() -> opened(me, w, s)).run();
                        w.request(1);
                    }

                    @Override
                    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            String frame = text.toString();
                            text.setLength(0);
                            onLoop(() -> received(me, frame, c)).run();
                        }
                        w.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket w, int code, String reason) {
                        onLoop(() -> ended(me, code)).run();
                        return null; // the JDK echoes the close frame
                    }

                    @Override
                    public void onError(WebSocket w, Throwable error) {
                        onLoop(() -> ended(me, 1006)).run();
                    }
                };
                http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30)).buildAsync(uri, listener)
                        .whenComplete((w, error) -> {
                            if (error != null) onLoop(() -> ended(me, 1006)).run(); // a refused upgrade
                        });
            });
        }

        void opened(Object me, WebSocket w, int s) {
            if (wsToken != me) {
                w.abort(); // the app moved on while it was connecting
                return;
            }
            ws = w;
            connection = "open";
            failures = 0;
            stopPolling();
            beat();
            catchUp(s, 0);
        }

        @SuppressWarnings("unchecked")
        void received(Object me, String frame, String c) {
            if (wsToken != me) return;
            beat();
            Object parsed;
            try {
                parsed = Json.parse(frame);
            } catch (RuntimeException e) {
                return;
            }
            if (parsed instanceof Map<?, ?> f && "message".equals(f.get("type")) && f.get("message") instanceof Map<?, ?> m
                    && c.equals(m.get("conversationId")))
                acknowledge((Map<String, Object>) m);
        }

        void ended(Object me, int code) {
            if (wsToken != me) return;
            ws = null;
            wsToken = null;
            if (code == 4001) authFailed();
            else socketFailed();
        }

        /** A frame arrived (or the socket opened): the next ping is due in 15 s, its answer 5 s later. */
        void beat() {
            cancel(heartbeat);
            Object me = wsToken;
            heartbeat = later(15, () -> {
                if (wsToken != me || ws == null) return;
                WebSocket w = ws;
                gate(() -> w.sendText("{\"type\":\"ping\"}", true));
                heartbeat = later(5, () -> {
                    if (wsToken != me) return;
                    closeSocket(4000); // no frame within 5 s of the ping: half-open, abandon it
                    socketFailed();
                });
            });
        }

        void socketFailed() {
            cancel(heartbeat);
            connection = "closed";
            if (!polling) startPolling();
            failures++;
            if (failures <= BACKOFF.length) {
                int s = session;
                reconnect = later(BACKOFF[failures - 1], () -> {
                    if (s == session && !authError && wsToken == null) connect();
                });
            }
        }

        // -- REST

        /** GETs the open conversation's messages; `done` gets true on a 2xx (or when the answer no longer matters). */
        void load(int s, java.util.function.Consumer<Boolean> done) {
            gate(() -> {
                if (s != session || authError) {
                    done.accept(true);
                    return;
                }
                HttpRequest req = HttpRequest.newBuilder(URI.create(BASE + path(conversation) + "/messages"))
                        .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(5)).GET().build();
                http.sendAsync(req, HttpResponse.BodyHandlers.ofString()).whenComplete((r, error) -> onLoop(() -> {
                    if (s != session) {
                        done.accept(true); // a late answer of a conversation the user left
                        return;
                    }
                    if (error != null) {
                        done.accept(false);
                        return;
                    }
                    if (r.statusCode() == 401) {
                        authFailed();
                        done.accept(true);
                        return;
                    }
                    if (r.statusCode() / 100 != 2) {
                        done.accept(false);
                        return;
                    }
                    try {
                        for (Object m : (List<?>) ((Map<?, ?>) Json.parse(r.body())).get("messages"))
                            acknowledge(castMap(m));
                        done.accept(true);
                    } catch (RuntimeException e) {
                        done.accept(false); // a body it cannot use (a captive portal's page, a cut-off answer)
                    }
                }).run());
            });
        }

        /** A catch-up load; a failed one is retried after 2, 4, 8, 16, 32 s, then every 32 s, unless polling covers it. */
        void catchUp(int s, int attempt) {
            load(s, ok -> {
                if (ok || polling || s != session) return;
                cancel(catchUpRetry);
                catchUpRetry = later(BACKOFF[Math.min(attempt, BACKOFF.length - 1)], () -> {
                    if (s == session && !polling && !authError) catchUp(s, attempt + 1);
                });
            });
        }

        double interval() {
            if (lastSend >= 0) {
                double since = (System.nanoTime() - lastSend) / 1e9;
                if (since < 30) return 2;
                if (since < 300) return 5;
            }
            return 10;
        }

        void startPolling() {
            polling = true;
            cancel(catchUpRetry);
            poll(session);
        }

        void stopPolling() {
            polling = false;
            cancel(pollTimer);
        }

        /** One loop: a poll, then the next one an interval after it ended, through failures. */
        void poll(int s) {
            if (!polling || s != session || authError) return;
            load(s, ok -> {
                if (polling && s == session) pollTimer = later(interval(), () -> poll(s));
            });
        }

        /** Sends the outbox, oldest first, one entry at a time, each until the server stored it. */
        void flushOutbox() {
            if (outboxBusy || authError || outbox().isEmpty()) return;
            outboxBusy = true;
            Map<String, Object> e = outbox().get(0);
            String body = Json.write(Map.of("content", e.get("content"), "clientMessageId", e.get("clientMessageId")));
            gate(() -> {
                HttpRequest req = HttpRequest.newBuilder(URI.create(BASE + path((String) e.get("conversation")) + "/messages"))
                        .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
                http.sendAsync(req, HttpResponse.BodyHandlers.ofString()).whenComplete((r, error) -> onLoop(() -> {
                    outboxBusy = false;
                    int status = error == null ? r.statusCode() : 0;
                    if (status == 401) {
                        authFailed();
                        return;
                    }
                    if (status == 200 || status == 201) {
                        doneSending(e.get("clientMessageId"));
                        try {
                            acknowledge(castMap(((Map<?, ?>) Json.parse(r.body())).get("message")));
                        } catch (RuntimeException ignored) {
                            // stored, but the answer was cut off: the socket or a load brings it
                        }
                        flushOutbox();
                    } else if (status >= 400 && status < 500 && status != 408 && status != 429) {
                        doneSending(e.get("clientMessageId")); // permanent: the server will never store it
                        flushOutbox();
                    } else {
                        later(3, this::flushOutbox); // transient: network error, timeout, 408, 429, 5xx
                    }
                }).run());
            });
        }

        static void doneSending(Object cmid) {
            outbox().removeIf(x -> x.get("clientMessageId").equals(cmid));
        }

        /** A stored message: shown once, replacing the optimistic entry of the same send. */
        void acknowledge(Map<String, Object> m) {
            if (conversation == null || !conversation.equals(m.get("conversationId"))) return;
            if (m.get("clientMessageId") != null) doneSending(m.get("clientMessageId"));
            messages.putIfAbsent((String) m.get("id"), m);
        }

        @SuppressWarnings("unchecked")
        static Map<String, Object> castMap(Object o) {
            return (Map<String, Object>) o;
        }
    }

    // ---- the harness ------------------------------------------------------------------------

    static final HttpClient controlHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    static Map<?, ?> control(String method, String name, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(CONTROL + "/" + name)).header("Authorization", "Bearer " + TOKEN)
                .timeout(Duration.ofSeconds(30));
        if (body != null) b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(Json.write(body)));
        HttpResponse<String> r = controlHttp.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 409 && r.body().contains("\"ended\"")) throw new Ended();
        if (r.statusCode() >= 400) throw new IllegalStateException(method + " " + name + ": " + r.statusCode() + " " + r.body());
        return r.body().isEmpty() ? Map.of() : (Map<?, ?>) Json.parse(r.body());
    }

    /** A report arrived after the run ended (409 ended): nothing more to do. */
    static final class Ended extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Ended() {
            super("the run ended", null, false, false);
        }
    }

    static <T> T onApp(java.util.concurrent.Callable<T> f) throws Exception {
        return loop.submit(f).get();
    }

    public static void main(String[] args) throws Exception {
        ChatApp[] app = {onApp(ChatApp::new)};
        try {
            run(app);
        } catch (Ended e) {
            // the run is over
        }
        onApp(() -> {
            app[0].dispose();
            return null;
        });
        System.exit(0);
    }

    static void run(ChatApp[] app) throws Exception {
        Map<String, Object> reported = null;
        while (true) {
            Map<?, ?> answer;
            try {
                answer = control("GET", "next-action?wait=100", null);
            } catch (java.io.IOException e) {
                System.err.println("harness: " + e);
                Thread.sleep(200);
                continue;
            }
            if (Boolean.TRUE.equals(answer.get("done"))) break;
            if (!Boolean.TRUE.equals(answer.get("started"))) continue;
            if (reported == null) { // what the user sees at launch
                reported = onApp(() -> app[0].snapshot());
                control("POST", "snapshot", Map.of("state", reported));
            }
            for (Object o : (List<?>) answer.get("actions")) {
                Map<?, ?> action = (Map<?, ?>) o;
                String what = (String) action.get("do");
                Map<?, ?> a = (Map<?, ?>) action.get("args");
                onApp(() -> {
                    setGate(false); // hold what the action starts on the network
                    switch (what) {
                        case "restart" -> {
                            app[0].dispose(); // the app is killed; storage survives
                            app[0] = new ChatApp();
                        }
                        case "openConversation" -> app[0].openConversation((String) a.get("conversation"));
                        case "closeConversation" -> app[0].closeConversation();
                        case "send" -> app[0].send((String) a.get("text"));
                        default -> System.err.println("harness: unknown action " + what);
                    }
                    return null;
                });
                Thread.sleep(10); // what the action ended (a socket's close) leaves first
                Map<String, Object> state = onApp(() -> app[0].snapshot());
                Map<String, Object> report = new LinkedHashMap<>();
                report.put("id", action.get("id"));
                report.put("do", what);
                report.put("args", a);
                report.put("state", state);
                control("POST", "action", report);
                reported = state;
                onApp(() -> {
                    setGate(true);
                    return null;
                });
            }
            Map<String, Object> state = onApp(() -> app[0].snapshot());
            if (!state.equals(reported)) {
                control("POST", "snapshot", Map.of("state", state));
                reported = state;
            }
        }
    }

    // ---- JSON (the JDK has none) --------------------------------------------------------------

    /** Just enough JSON: objects, arrays, strings, numbers, booleans, null. */
    static final class Json {
        private final String s;
        private int i;

        private Json(String s) {
            this.s = s;
        }

        static Object parse(String text) {
            Json p = new Json(text);
            Object v = p.value();
            p.ws();
            if (p.i != text.length()) throw new IllegalArgumentException("trailing characters at " + p.i);
            return v;
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private Object value() {
            ws();
            if (i >= s.length()) throw new IllegalArgumentException("unexpected end");
            char c = s.charAt(i);
            if (c == '{') {
                Map<String, Object> m = new LinkedHashMap<>();
                i++;
                ws();
                if (s.charAt(i) == '}') {
                    i++;
                    return m;
                }
                while (true) {
                    ws();
                    String k = string();
                    ws();
                    expect(':');
                    m.put(k, value());
                    ws();
                    if (s.charAt(i) == ',') i++;
                    else {
                        expect('}');
                        return m;
                    }
                }
            }
            if (c == '[') {
                List<Object> l = new ArrayList<>();
                i++;
                ws();
                if (s.charAt(i) == ']') {
                    i++;
                    return l;
                }
                while (true) {
                    l.add(value());
                    ws();
                    if (s.charAt(i) == ',') i++;
                    else {
                        expect(']');
                        return l;
                    }
                }
            }
            if (c == '"') return string();
            if (s.startsWith("true", i)) {
                i += 4;
                return true;
            }
            if (s.startsWith("false", i)) {
                i += 5;
                return false;
            }
            if (s.startsWith("null", i)) {
                i += 4;
                return null;
            }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
            if (start == i) throw new IllegalArgumentException("unexpected '" + c + "' at " + i);
            double d = Double.parseDouble(s.substring(start, i));
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? (Object) (long) d : (Object) d;
        }

        private void expect(char c) {
            if (i >= s.length() || s.charAt(i) != c) throw new IllegalArgumentException("expected '" + c + "' at " + i);
            i++;
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> {
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> b.append(e);
                }
            }
        }

        static String write(Object v) {
            StringBuilder b = new StringBuilder();
            write(v, b);
            return b.toString();
        }

        private static void write(Object v, StringBuilder b) {
            if (v == null) b.append("null");
            else if (v instanceof String str) {
                b.append('"');
                for (char c : str.toCharArray()) {
                    if (c == '"' || c == '\\') b.append('\\').append(c);
                    else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
                b.append('"');
            } else if (v instanceof Map<?, ?> m) {
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) b.append(',');
                    first = false;
                    write(String.valueOf(e.getKey()), b);
                    b.append(':');
                    write(e.getValue(), b);
                }
                b.append('}');
            } else if (v instanceof List<?> l) {
                b.append('[');
                for (int k = 0; k < l.size(); k++) {
                    if (k > 0) b.append(',');
                    write(l.get(k), b);
                }
                b.append(']');
            } else b.append(v); // numbers, booleans
        }
    }
}
