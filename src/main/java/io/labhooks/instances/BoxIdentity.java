package io.labhooks.instances;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.UUID;

import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

import io.labhooks.config.LabhooksProperties;

/**
 * Who this box is on the shared database. {@link #id()} is new at every start and names the claims this run holds.
 * {@link #name()} stays the same across restarts of one box (by default host name and HTTP port, which no two
 * running boxes can share), so a restarted box can tell its own previous run's claims from another box's.
 */
@Component
public class BoxIdentity {

    private final String id = UUID.randomUUID().toString();
    private final String name;

    public BoxIdentity(LabhooksProperties properties, Environment environment) {
        String configured = properties.instance().name();
        if (configured != null && !configured.isBlank()) {
            name = configured.trim();
        } else {
            String port = environment.getProperty("server.port", "8080");
            // Port 0 is chosen at random at every start: such a box has no identity to carry over.
            name = hostName() + ":" + ("0".equals(port) ? id : port);
        }
    }

    public String id() {
        return id;
    }

    public String name() {
        return name;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
