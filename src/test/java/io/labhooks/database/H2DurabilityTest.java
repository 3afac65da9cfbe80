package io.labhooks.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import io.labhooks.config.StartupRefusal;

/** The URL rule; {@code OperatorH2UrlIT} shows what it prevents (acknowledged webhooks lost on SIGKILL). */
class H2DurabilityTest {

    @Test
    void anH2FileUrlWithoutTheSettingGetsIt() {
        assertThat(H2Durability.url("jdbc:h2:file:/var/lib/labhooks/db;DB_CLOSE_ON_EXIT=FALSE", "LABHOOKS_DB_URL"))
                .isEqualTo("jdbc:h2:file:/var/lib/labhooks/db;DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0");
        assertThat(H2Durability.url("jdbc:h2:./data/labhooks", "LABHOOKS_DB_URL")).isEqualTo("jdbc:h2:./data/labhooks;WRITE_DELAY=0");
        assertThat(H2Durability.url("jdbc:h2:tcp://db-host/labhooks", "LABHOOKS_DB_URL")).endsWith(";WRITE_DELAY=0");
    }

    @Test
    void aUrlThatAlreadyWritesAtOnceAndOtherDatabasesAreLeftAlone() {
        assertThat(H2Durability.url("jdbc:h2:file:./db;write_delay = 0", "X")).isEqualTo("jdbc:h2:file:./db;write_delay = 0");
        assertThat(H2Durability.url("jdbc:h2:mem:test;DB_CLOSE_DELAY=-1", "X")).isEqualTo("jdbc:h2:mem:test;DB_CLOSE_DELAY=-1");
        assertThat(H2Durability.url("jdbc:postgresql://db:5432/labhooks", "X")).isEqualTo("jdbc:postgresql://db:5432/labhooks");
    }

    @Test
    void aUrlAskingForADelayIsRefusedNamingTheSetting() {
        assertThatThrownBy(() -> H2Durability.url("jdbc:h2:file:./db;WRITE_DELAY=500;AUTO_SERVER=TRUE", "LABHOOKS_DB_URL"))
                .isInstanceOf(StartupRefusal.class)
                .hasMessageStartingWith("LABHOOKS_DB_URL sets WRITE_DELAY=500: ");
    }
}
