package io.labhooks.normalise;

import com.dashjoin.jsonata.Jsonata;
import org.apache.camel.component.jsonata.JsonataFrameBinding;
import org.springframework.stereotype.Component;

import io.labhooks.config.LabhooksProperties;

/**
 * The frame every mapping is evaluated in, by the normaliser (MappingFiles) and by any jsonata: endpoint (bound to
 * the jsonata component in application.yaml, camel.component.jsonata.frame-binding). It limits the evaluation in time
 * and recursion depth, so an integrator's runaway JSONata expression fails that one event (kept FAILED with the
 * error) instead of holding the normaliser forever, and it replaces the built-ins whose results would follow the
 * host's locale or time zone ({@link HostIndependentFunctions}).
 */
@Component("mappingBounds")
public class MappingBounds implements JsonataFrameBinding {

    private final long timeoutMillis;
    private final int maxDepth;
    private final HostIndependentFunctions functions = new HostIndependentFunctions();

    public MappingBounds(LabhooksProperties properties) {
        this.timeoutMillis = properties.pipeline().mappingTimeoutMs();
        this.maxDepth = properties.pipeline().mappingMaxDepth();
    }

    @Override
    public void bindToFrame(Jsonata.Frame frame) {
        frame.setRuntimeBounds(timeoutMillis, maxDepth);
        functions.bindTo(frame);
    }
}
