@lifecycle @etcd-v2v3
Feature: etcd after the v2 → v3 migration: restart, member add, and the upgrade 3.4 → 3.5 → 3.6
  A migration is only done when the cluster can go on living: every member restarted, a member
  added, the v2 store purged and every member upgraded in place to 3.5 and then 3.6. At each step
  every member is read on its own (serializable reads of the whole v3 key space) and compared with
  what it held before, and hashkv must agree at one revision.

  @smoke
  Scenario: every member restarted after an offline migration still holds the migrated tree
    Given an etcd 3.4 cluster "source" of 3 members
    And the v2 keys of "etcd-v2/generated-small.yaml" in etcd "source"
    When I migrate etcd "source" offline, one member at a time
    And I read what every member of etcd "source" holds
    And I restart every member of etcd "source" one at a time
    Then every member of etcd "source" holds what it held before
    And every member of etcd "source" matches the expected v3 tree for "etcd-v2/generated-small.yaml" after the offline migration

  @upstream @E-09
  Scenario: a member added after an offline migration gets none of the v3 data, and the per-member check says so
    Given an etcd 3.4 store "source"
    When I set "/foo" to "bar" in the v2 API of etcd "source"
    And I migrate etcd "source" offline, one member at a time
    And I read what every member of etcd "source" holds
    And I add a member to etcd "source"
    Then the member added to etcd "source" after the migration lacks the migrated v3 data, as upstream case E-09 says

  @upstream @E-12
  Scenario: the guide's end state upgrades: member by member to 3.5, v2 purged, then to 3.6
    Given the etcd 3.5 build for the upgrade step
    And an etcd 3.4 cluster "source" of 3 members
    And the v2 keys of "etcd-v2/generated-small.yaml" in etcd "source"
    When I migrate etcd "source" offline, one member at a time
    And I read what every member of etcd "source" holds
    And I upgrade etcd "source" to 3.5 member by member
    And I purge the v2 store of etcd "source"
    And I upgrade etcd "source" to 3.6 member by member
    Then every member of etcd "source" runs etcd 3.6, the v2 data gone
    And every member of etcd "source" holds what it held before

  @upstream @E-12
  Scenario: v2 data left behind in a v2 snapshot: 3.6 refuses the first member, and the harness's verdict names why
    Given the etcd 3.5 build for the upgrade step
    And an etcd 3.4 cluster "source" of 3 members
    And the v2 keys of "etcd-v2/generated-small.yaml" in etcd "source"
    When I migrate etcd "source" offline, one member at a time
    And I read what every member of etcd "source" holds
    And I force a v2 snapshot on every member of etcd "source"
    And I upgrade etcd "source" to 3.5 member by member
    And I try to upgrade etcd "source" to 3.6 member by member
    Then the upgrade of etcd "source" was refused at member "m0": v2 data left behind, upstream case "E-12"

  @upstream @E-13
  Scenario: v2 keys deleted but no v2 snapshot after the deletes: 3.6 still refuses the first member
    Given the etcd 3.5 build for the upgrade step
    And an etcd 3.4 store "source"
    When I set "/foo" to "bar" in the v2 API of etcd "source"
    And I migrate etcd "source" offline, one member at a time
    And I read what every member of etcd "source" holds
    And I delete every v2 key of etcd "source" without forcing a v2 snapshot
    And I upgrade etcd "source" to 3.5 member by member
    And I check the v2 store of every member of etcd "source" with etcdutl 3.5
    And I try to upgrade etcd "source" to 3.6 member by member
    Then the upgrade of etcd "source" was refused at member "m0": v2 data left behind, upstream case "E-13"
    And etcdutl's v2 store check of member "m0" of etcd "source" agrees with what 3.6 did

  @matrix
  Scenario Outline: source etcd <source> with the v2 API, migrated <mode>: restarted, purged and upgraded to 3.6
    Given the etcd 3.5 build for the upgrade step
    And an etcd <source> cluster "source" of 3 members with the v2 API
    And the v2 keys of "etcd-v2/generated-small.yaml" in etcd "source"
    When I migrate etcd "source" <mode>
    And I read what every member of etcd "source" holds
    And I restart every member of etcd "source" one at a time
    And I upgrade etcd "source" to <next> member by member
    And I purge the v2 store of etcd "source"
    And I upgrade etcd "source" to 3.6 member by member
    Then every member of etcd "source" runs etcd 3.6, the v2 data gone
    And every member of etcd "source" holds what it held before

    Examples:
      | source | mode                            | next |
      | 3.4    | offline, one member at a time   | 3.5  |
      | 3.4    | online                          | 3.5  |
      | 3.5    | online                          | 3.5  |
