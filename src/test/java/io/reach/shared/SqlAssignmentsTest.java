package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SqlAssignmentsTest {

    @Test
    void writesNullsIntoTheSqlAndBindsOnlyValues() {
        SqlAssignments set = new SqlAssignments().set("state", "WAITING").set("wake_at", null).setTo("lease_until", "NULL");

        assertThat(set.sql()).isEqualTo("state = ?, wake_at = NULL, lease_until = NULL");
        assertThat(set.paramsThen("id-1", 3)).containsExactly("WAITING", "id-1", 3);
    }

    @Test
    void leavesOutColumnsWhoseValueIsNullWhenAskedToKeepThem() {
        SqlAssignments set = new SqlAssignments().setUnlessNull("left_at", null).setUnlessNull("outcome", "sent");

        assertThat(set.sql()).isEqualTo("outcome = ?");
        assertThat(set.paramsThen()).containsExactly("sent");
        assertThat(new SqlAssignments().setUnlessNull("branch", null).isEmpty()).isTrue();
    }

    @Test
    void aWhereClauseParameterMayBeNull() {
        assertThat(new SqlAssignments().set("a", 1).paramsThen((Object) null)).isEqualTo(Arrays.asList(1, null));
    }
}
