package io.labhooks.dedupe;

import java.util.UUID;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.NameBasedGenerator;

/** The canonical eventId: a name-based UUID (v5) of "provider|dedupeKey", the same for every redelivery. */
public final class EventIds {

    /** Fixed namespace of labhooks event ids; changing it would change every eventId. */
    private static final UUID NAMESPACE = UUID.fromString("5b0f6f2e-6a0c-4f0e-9a53-1ab4c0f3e7d1");
    private static final NameBasedGenerator GENERATOR = Generators.nameBasedGenerator(NAMESPACE);

    private EventIds() {
    }

    public static String of(String dedupeKey) {
        return GENERATOR.generate(dedupeKey).toString();
    }

    /**
     * The eventId of a provider event stored again after its dedupe window had passed (the second, third... time
     * the same key arrives): a new id, since receivers dedupe on eventId and this is a new event.
     */
    public static String generation(String dedupeKey, int generation) {
        return generation <= 1 ? of(dedupeKey) : GENERATOR.generate(dedupeKey + "#generation-" + generation).toString();
    }

    /**
     * The eventId of a later revision of one provider event (its mapping re-run by an operator): a new id, so
     * receivers that dedupe on eventId take the corrected event, derived so every box computes the same one.
     */
    public static String revision(String firstEventId, int revision) {
        return revision <= 1 ? firstEventId : GENERATOR.generate(firstEventId + "#revision-" + revision).toString();
    }
}
