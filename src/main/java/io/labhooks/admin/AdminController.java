package io.labhooks.admin;

import java.util.List;
import java.util.Map;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The operator API (see README, "Operating labhooks"). Only reachable through {@link AdminAccess}; every raw
 * payload read, retry, replay, erasure and re-encryption is written to the audit table with the operator's name.
 */
@RestController
@RequestMapping("/admin")
public class AdminController {

    private final EventQueries queries;
    private final Replays replays;
    private final OrderErasure erasure;
    private final AuditLog audit;
    private final PayloadReEncryption reEncryption;

    public AdminController(EventQueries queries, Replays replays, OrderErasure erasure, AuditLog audit,
                           PayloadReEncryption reEncryption) {
        this.queries = queries;
        this.replays = replays;
        this.erasure = erasure;
        this.audit = audit;
        this.reEncryption = reEncryption;
    }

    @GetMapping("/inbound-events")
    public List<Map<String, Object>> inboundEvents(@RequestParam(required = false) String provider,
            @RequestParam(required = false) String type, @RequestParam(required = false) String order,
            @RequestParam(required = false) String status, @RequestParam(required = false) String from,
            @RequestParam(required = false) String to, @RequestParam(required = false) Integer limit) {
        return queries.inboundEvents(EventFilter.of(provider, type, order, status, from, to, limit));
    }

    /** With {@code raw=true} the payload is shown unredacted, and that read is audited. */
    @GetMapping("/inbound-events/{id}")
    public Map<String, Object> inboundEvent(@PathVariable long id, @RequestParam(defaultValue = "false") boolean raw,
                                            @RequestAttribute(AdminAccess.ACTOR) String actor) {
        Map<String, Object> event = queries.inboundEvent(id, raw);
        if (raw) {
            audit.record(actor, "read-raw-payload", "inbound event " + id, null);
        }
        return event;
    }

    @GetMapping("/events")
    public List<Map<String, Object>> canonicalEvents(@RequestParam(required = false) String provider,
            @RequestParam(required = false) String type, @RequestParam(required = false) String order,
            @RequestParam(required = false) String status, @RequestParam(required = false) String from,
            @RequestParam(required = false) String to, @RequestParam(required = false) Integer limit) {
        return queries.canonicalEvents(EventFilter.of(provider, type, order, status, from, to, limit));
    }

    @GetMapping("/events/{eventId}")
    public Map<String, Object> canonicalEvent(@PathVariable String eventId) {
        return queries.canonicalEvent(eventId);
    }

    @GetMapping("/orders/{orderKey}")
    public Map<String, Object> order(@PathVariable String orderKey) {
        return queries.order(orderKey);
    }

    @DeleteMapping("/orders/{orderKey}")
    public Map<String, Object> eraseOrder(@PathVariable String orderKey, @RequestAttribute(AdminAccess.ACTOR) String actor) {
        return erasure.erase(orderKey, actor);
    }

    /** The dead letters by default; any delivery status can be listed. */
    @GetMapping("/deliveries")
    public List<Map<String, Object>> deliveries(@RequestParam(defaultValue = "DEAD") String status,
            @RequestParam(required = false) String sink, @RequestParam(required = false) Integer limit) {
        return queries.deliveries(status, sink, EventFilter.of(null, null, null, null, null, null, limit).limit());
    }

    @PostMapping("/deliveries/{id}/retry")
    public Map<String, Object> retry(@PathVariable long id, @RequestAttribute(AdminAccess.ACTOR) String actor) {
        return replays.retry(id, actor);
    }

    /**
     * Bulk replay: {"action": "redeliver", "sink": "http", filters...} or {"action": "remap", filters...}.
     * A dry run (the default) only counts; send "dryRun": false to replay.
     */
    @PostMapping("/replays")
    public Map<String, Object> replay(@RequestBody ReplayRequest request, @RequestAttribute(AdminAccess.ACTOR) String actor) {
        EventFilter filter = EventFilter.of(request.provider(), request.type(), request.order(), request.status(),
                request.from(), request.to(), null);
        boolean dryRun = request.dryRun() == null || request.dryRun();
        return switch (request.action() == null ? "" : request.action()) {
            case "redeliver" -> replays.redeliver(request.sink(), filter, dryRun, actor);
            case "remap" -> {
                if (request.sink() != null) {
                    throw new AdminRequestException(400, "remap re-runs the mapping for every sink; leave sink out");
                }
                yield replays.remap(filter, dryRun, actor);
            }
            default -> throw new AdminRequestException(400, "action must be \"redeliver\" or \"remap\"");
        };
    }

    /**
     * Every stored raw payload not under the newest key is re-encrypted under it; answers how many were and how
     * many remain. At 0 remaining the older keys can be removed from LABHOOKS_PAYLOAD_KEYS.
     */
    @PostMapping("/payload-keys/re-encrypt")
    public Map<String, Object> reEncryptPayloads(@RequestAttribute(AdminAccess.ACTOR) String actor) {
        return reEncryption.reEncrypt(actor);
    }

    /** Audit rows, newest first (reading them is not itself audited). */
    @GetMapping("/audit")
    public List<Map<String, Object>> auditRows(@RequestParam(required = false) String from,
                                               @RequestParam(required = false) String to,
                                               @RequestParam(required = false) Integer limit) {
        return queries.audit(EventFilter.of(null, null, null, null, from, to, limit));
    }

    /** Filters of a bulk replay; every one is optional, and a dry run is the default. */
    public record ReplayRequest(String action, String sink, String provider, String type, String order, String status,
                                String from, String to, Boolean dryRun) {
    }

    @ExceptionHandler(AdminRequestException.class)
    ResponseEntity<Map<String, String>> refused(AdminRequestException refused) {
        return ResponseEntity.status(refused.status()).body(Map.of("error", refused.getMessage()));
    }

    @ExceptionHandler(org.springframework.dao.DataAccessException.class)
    ResponseEntity<Map<String, String>> databaseFailed(Exception e) {
        return ResponseEntity.status(500).body(Map.of("error", "the database could not complete the request; nothing was changed"));
    }

    @ExceptionHandler(org.springframework.web.bind.MissingServletRequestParameterException.class)
    ResponseEntity<Map<String, String>> missing(Exception e) {
        return ResponseEntity.badRequest().body(Map.of("error", e.getMessage()));
    }

    @ExceptionHandler({org.springframework.web.method.annotation.MethodArgumentTypeMismatchException.class,
            org.springframework.http.converter.HttpMessageNotReadableException.class})
    ResponseEntity<Map<String, String>> unreadable(Exception e) {
        return ResponseEntity.badRequest().body(Map.of("error", "the request could not be read: check parameter types and JSON"));
    }
}
