package io.reach.flow;

/** One thing wrong with a flow document: the step it is about (null for the document itself) and what is wrong. */
public record FlowProblem(String step, String message) {}
