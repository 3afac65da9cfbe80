package io.labhooks.config;

import java.nio.file.Files;
import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The routes and mappings folders are read from disk, relative to the working directory unless absolute. A box
 * started where they are not would otherwise come up with no provider at all and answer every webhook 404, so it
 * refuses to start instead, naming the folder it looked for and the setting that names it.
 */
@Component
class ContentFolders {

    private static final Logger LOG = LoggerFactory.getLogger(ContentFolders.class);

    ContentFolders(LabhooksProperties properties) {
        Path routes = require(properties.routesDir(), "labhooks.routes-dir", "LABHOOKS_ROUTES_DIR", "the YAML routes");
        Path mappings = require(properties.mappingsDir(), "labhooks.mappings-dir", "LABHOOKS_MAPPINGS_DIR", "the JSONata mappings");
        LOG.info("Routes from {}, mappings from {}", routes, mappings);
    }

    private static Path require(String setting, String property, String variable, String what) {
        Path folder = Path.of(setting == null ? "" : setting).toAbsolutePath().normalize();
        if (!Files.isDirectory(folder)) {
            throw new StartupRefusal(property + " (" + variable + ") is '" + setting + "': " + folder + " is not a folder",
                    "Point " + variable + " at the folder holding " + what + ", or start the box in the folder that holds it.");
        }
        return folder;
    }
}
