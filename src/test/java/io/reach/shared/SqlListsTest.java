package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SqlListsTest {

    @Test
    void bindsAListAsAnArrayOfItsElementsType() {
        UUID id = UUID.randomUUID();

        assertThat(SqlLists.array(List.of(id))).isInstanceOf(UUID[].class).containsExactly(id);
        assertThat(SqlLists.array(List.of("a", "b"))).isInstanceOf(String[].class).containsExactly("a", "b");
        assertThat(SqlLists.valueThen(7, List.of(3L, 4L))).satisfiesExactly(
                value -> assertThat(value).isEqualTo(7),
                array -> assertThat(array).isInstanceOf(Long[].class).isEqualTo(new Long[] {3L, 4L}));
    }

    @Test
    void refusesAnEmptyListWhoseTypeIsUnknown() {
        assertThatThrownBy(() -> SqlLists.array(List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
