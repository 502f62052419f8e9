package io.reach.shared;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns a {@link CannotStart} into Spring Boot's "APPLICATION FAILED TO START" report: what is wrong, what to do. */
class CannotStartAnalyzer extends AbstractFailureAnalyzer<CannotStart> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, CannotStart failure) {
        return new FailureAnalysis(failure.getMessage(), failure.action(), failure);
    }
}
