@upstream @etcd-v2v3
Feature: upstream regression cases of the etcd v2store → v3store migration
  Each scenario is one case of ../shared/reference/upstream-cases.md (Part B), run here with its data
  (fixtures/upstream/etcd/) against the real `etcdctl migrate` of etcd 3.4.23 and against storeshift's
  migrators. The last step judges what the stores hold and records a verdict per case, tool and
  version: the real tool's behaviour is recorded as observed; storeshift's migrator showing the
  upstream bug fails the scenario. E-09, E-12 and E-13 are in features/lifecycle/ (docs/upstream-etcd.md).

  @E-01
  Scenario Outline: E-01 revision continuity: a v3 write after the migration follows the migrated revisions (<migrator>)
    Given an etcd 3.4 store "source"
    And the v2 keys of "upstream/etcd/e01-foo.yaml" in etcd "source"
    When I migrate etcd "source" with "<migrator>"
    And I put "test" = "value" into etcd "source"
    Then upstream case "E-01" is "<verdict>" by "<migrator>"

    Examples:
      | migrator          | verdict        |
      | etcdctl migrate   | not-reproduced |
      | storeshift online | not-reproduced |

  @E-02
  Scenario Outline: E-02 updated keys keep their last value and revision, <layout> (<migrator>)
    Given an etcd 3.4 store "source" with --snapshot-count <snapshot count>
    And the v2 keys of "upstream/etcd/e02-updates.yaml" in etcd "source"
    And etcd "source" keeps its v2 data as "<layout>"
    When I migrate etcd "source" with "<migrator>"
    Then upstream case "E-02" is "<verdict>" by "<migrator>"

    Examples:
      | layout           | snapshot count | migrator          | verdict        |
      | WAL only         | 100000         | etcdctl migrate   | not-reproduced |
      | WAL and snapshot | 5              | etcdctl migrate   | not-reproduced |
      | fresh snapshot   | 1              | etcdctl migrate   | not-reproduced |
      | WAL and snapshot | 5              | storeshift online | not-reproduced |

  @E-03 @smoke
  Scenario Outline: E-03 values and keys with % arrive byte for byte (<migrator>)
    Given an etcd 3.4 store "source"
    And the v2 keys of "upstream/etcd/e03-percent.yaml" in etcd "source"
    When I migrate etcd "source" with "<migrator>"
    Then every member of etcd "source" matches the expected v3 tree for "upstream/etcd/e03-percent.yaml" after the <mode> migration
    And upstream case "E-03" is "<verdict>" by "<migrator>"

    Examples:
      | migrator          | mode    | verdict        |
      | etcdctl migrate   | offline | not-reproduced |
      | storeshift online | online  | not-reproduced |

  @E-04
  Scenario Outline: E-04 precondition: <precondition> (<migrator>)
    Given an etcd 3.4 store "source"
    And the v2 keys of "upstream/etcd/<fixture>.yaml" in etcd "source"
    When I put "/v3/only" = "kept" into etcd "source"
    And I try "<migrator>" on etcd "source" where "<precondition>"
    Then upstream case "E-04" is "<verdict>" by "<migrator>"

    Examples:
      | precondition          | fixture   | migrator           | verdict             |
      | the v2 store is empty | e04-empty | etcdctl migrate    | not-reproduced      |
      | the member is running | e04-keys  | etcdctl migrate    | reproduced          |
      | the member is running | e04-keys  | storeshift offline | fixed-by-storeshift |
      | the data dir is wrong | e04-keys  | etcdctl migrate    | not-reproduced      |

  @E-05
  Scenario Outline: E-05 keys gain a leading slash: a reader on the old prefix sees nothing (<migrator>)
    Given an etcd 3.4 store "source"
    And the v2 keys of "upstream/etcd/e05-slash.yaml" in etcd "source"
    When I migrate etcd "source" with "<migrator>"
    Then every member of etcd "source" matches the expected v3 tree for "upstream/etcd/e05-slash.yaml" after the <mode> migration
    And upstream case "E-05" is "<verdict>" by "<migrator>"

    Examples:
      | migrator          | mode    | verdict             |
      | etcdctl migrate   | offline | reproduced          |
      | storeshift online | online  | fixed-by-storeshift |

  @E-06
  Scenario Outline: E-06 TTL keys become permanent or vanish (<migrator>)
    Given an etcd 3.4 store "source"
    And the v2 keys of "upstream/etcd/e06-ttl.yaml" in etcd "source"
    When I migrate etcd "source" with "<migrator>"
    Then upstream case "E-06" is "<verdict>" by "<migrator>"

    Examples:
      | migrator                      | verdict             |
      | etcdctl migrate               | reproduced          |
      | etcdctl migrate --no-ttl      | reproduced          |
      | storeshift online --ttl lease | fixed-by-storeshift |

  @E-07 @slow
  Scenario Outline: E-07 members stopped while TTL keys expire migrate different keys (<migrator>)
    Given an etcd 3.4 cluster "source" of 3 members
    And the v2 keys of "upstream/etcd/e07-expiring.yaml" in etcd "source"
    When I migrate etcd "source" with "<migrator>"
    Then upstream case "E-07" is "<verdict>" by "<migrator>"

    Examples:
      | migrator                                       | verdict             |
      | etcdctl migrate, members stopped 2500 ms apart | reproduced          |
      | storeshift offline                             | fixed-by-storeshift |
      | storeshift online                              | fixed-by-storeshift |

  @E-08 @slow
  Scenario Outline: E-08 a follower that fell behind is migrated with keys missing (<migrator>)
    Given an etcd 3.4 cluster "source" of 3 members
    And the v2 keys of "upstream/etcd/e08-before.yaml" in etcd "source"
    When a follower of etcd "source" misses the v2 writes of "upstream/etcd/e08-burst.yaml"
    And I migrate etcd "source" with "<migrator>"
    Then upstream case "E-08" is "<verdict>" by "<migrator>"

    Examples:
      | migrator           | verdict             |
      | etcdctl migrate    | reproduced          |
      | storeshift offline | fixed-by-storeshift |
      | storeshift online  | fixed-by-storeshift |

  @E-10
  Scenario Outline: E-10 v3 keys that exist before the migration are overwritten at colliding revisions (<migrator>)
    Given an etcd 3.4 store "source"
    When I put "/v3/a" = "a" into etcd "source"
    And I put "/v3/b" = "b" into etcd "source"
    And I put "/v3/c" = "c" into etcd "source"
    And I put "/v3/d" = "d" into etcd "source"
    And I put "/v3/e" = "e" into etcd "source"
    And I put "/v3/f" = "f" into etcd "source"
    And the v2 keys of "upstream/etcd/e10-v2.yaml" in etcd "source"
    And I migrate etcd "source" with "<migrator>"
    Then upstream case "E-10" is "<verdict>" by "<migrator>"

    Examples:
      | migrator           | verdict             |
      | etcdctl migrate    | reproduced          |
      | storeshift offline | fixed-by-storeshift |
      | storeshift online  | fixed-by-storeshift |

  @E-11 @rollback
  Scenario Outline: E-11 a rollback by <rollback> after migrating a member with snapshots (<migrator>)
    Given an etcd 3.4 store "source" with --snapshot-count 5
    And the v2 keys of "upstream/etcd/e11-snap.yaml" in etcd "source"
    And etcd "source" keeps its v2 data as "WAL and snapshot"
    When I migrate etcd "source" with "<migrator>"
    And I roll back etcd "source" by "<rollback>"
    Then upstream case "E-11" is "<verdict>" by "<migrator>"

    Examples:
      | migrator           | rollback                      | verdict             |
      | etcdctl migrate    | deleting member/snap/db       | reproduced          |
      | storeshift offline | restoring the offline backups | fixed-by-storeshift |

  @E-14
  Scenario Outline: E-14 etcdctl 3.5 and later have no migrate (<migrator>)
    Given the upstream case "E-14"
    And an etcd 3.4 store "source"
    And the v2 keys of "etcd-v2/seed-foo.yaml" in etcd "source"
    When I migrate etcd "source" with "<migrator>"
    Then upstream case "E-14" is "<verdict>" by "<migrator>"

    Examples:
      | migrator                            | verdict             |
      | etcdctl 3.6 migrate                 | reproduced          |
      | storeshift offline with etcdctl 3.6 | fixed-by-storeshift |
      | etcdctl 3.5 migrate                 | reproduced          |
      | storeshift offline with etcdctl 3.5 | fixed-by-storeshift |

  @E-15
  Scenario Outline: E-15 hidden keys, directories, history and invalid bytes are not carried as written (<migrator>)
    Given an etcd 3.4 store "source"
    And the v2 keys of "upstream/etcd/e15-shapes.yaml" in etcd "source"
    And storeshift is told the hidden keys of "upstream/etcd/e15-shapes.yaml" for etcd "source"
    When I migrate etcd "source" with "<migrator>"
    Then every member of etcd "source" matches the expected v3 tree for "upstream/etcd/<tree>.yaml" after the <mode> migration
    And upstream case "E-15" is "<verdict>" by "<migrator>"

    Examples:
      | migrator                           | tree                   | mode    | verdict             |
      | etcdctl migrate                    | e15-shapes             | offline | reproduced          |
      | storeshift online --include-hidden | e15-shapes-with-hidden | online  | fixed-by-storeshift |

  @E-15
  Scenario Outline: E-15 a v2 value above the v3 request limit (<migrator>)
    Given an etcd 3.4 store "source"
    And the v2 keys of "upstream/etcd/e15-oversize.yaml" in etcd "source"
    When I migrate etcd "source" with "<migrator>"
    Then upstream case "E-15" is "<verdict>" by "<migrator>"

    Examples:
      | migrator          | verdict             |
      | etcdctl migrate   | reproduced          |
      | storeshift online | fixed-by-storeshift |

  @E-16
  Scenario Outline: E-16 a transformer that <transformer> (<migrator>)
    Given an etcd 3.4 store "source"
    And the v2 keys of "upstream/etcd/e04-keys.yaml" in etcd "source"
    When I migrate etcd "source" with "<migrator> --transformer upstream/etcd/transformers/<script>.sh"
    Then upstream case "E-16" is "<verdict>" by "<migrator>"

    Examples:
      | transformer                          | script    | migrator           | verdict             |
      | writes a truncated frame and exits 0 | malformed | etcdctl migrate    | reproduced          |
      | exits 3 after writing one key        | fail-half | etcdctl migrate    | reproduced          |
      | exits 3 after writing one key        | fail-half | storeshift offline | fixed-by-storeshift |
