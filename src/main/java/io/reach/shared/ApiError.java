package io.reach.shared;

import java.util.List;

/** Reach's one error shape: {"error": code, "message": human text, "details": [...]}. */
public record ApiError(String error, String message, List<?> details) {}
